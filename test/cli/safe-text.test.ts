// Text from /proc is untrusted: a process named with ESC/BEL/CR/backspace (prctl PR_SET_NAME, here through
// process.title) or mapping a file whose name holds them must not reach the terminal raw; wide and combining
// characters keep the table aligned, checked on a real terminal (tmux) against Python's unicodedata.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellWidth, safeText, sliceCells } from '../../src/cli/terminal-text';
import { padEnd, truncate, wrap } from '../../src/cli/style';
import { tmuxAt } from '../helpers/tmux';
import { cliPath, runCanfork } from './processes';

const hasPython = spawnSync('python3', ['-c', 'import unicodedata']).status === 0;
if (!hasPython) console.log('skipped: python3 is not installed (Debian package python3), the width oracle and the file-mapping holder');
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (!hasTmux) console.log('skipped: tmux is not installed (Debian package tmux)');

/** Terminal cells of each string by Python's unicodedata: an implementation independent of ours. */
function pythonWidths(texts: string[]): number[] {
  const script = `
import json, sys, unicodedata
def width(text):
    cells = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ('Mn', 'Me', 'Cf') or 0x1160 <= ord(ch) <= 0x11ff:
            continue
        cells += 2 if unicodedata.east_asian_width(ch) in ('W', 'F') else 1
    return cells
print(json.dumps([width(t) for t in json.load(sys.stdin)]))`;
  const result = spawnSync('python3', ['-c', script], { input: JSON.stringify(texts), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as number[];
}

// Controls a terminal acts on: C0 (but newline), DEL, C1. After SGR colour sequences are removed.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex -- the only escapes the CLI itself writes
const SGR = /\u001b\[[0-9;]*m/g;

function controlsIn(text: string): string[] {
  return [...text.replace(SGR, '')].filter((char) => RAW_CONTROL.test(char)).map((char) => `U+${char.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

describe('terminal text helpers', () => {
  it('safeText shows every control character as ?, as ps does', () => {
    expect(safeText('a\u001b[2Jb\u0007c\rd\be\u009bf\u007fg\u202eh')).toBe('a?[2Jb?c?d?e?f?g?h');
    expect(safeText('plain név 名前')).toBe('plain név 名前');
  });

  it.runIf(hasPython)('cellWidth agrees with Python\'s unicodedata on wide, combining and plain text', () => {
    const samples = ['node', '测试进程', 'ｆｕｌｌ', '한국어', 'e\u0301e\u0301', 'a\u200db', '😀x', 'Ω≈ç', 'カタカナ', '\u3000'];
    expect(samples.map(cellWidth)).toEqual(pythonWidths(samples));
  });

  it('cutting and padding count cells, and never split a wide character', () => {
    expect(sliceCells('测试进程', 5)).toBe('测试');
    expect(truncate('测试进程ab', 7)).toBe('测试进~');
    expect(cellWidth(padEnd('测试', 7))).toBe(7);
    expect(cellWidth(padEnd('e\u0301e\u0301', 7))).toBe(7);
    for (const line of wrap('路径/很长的/目录/名字 一些 更多 的 文字', 9)) expect(cellWidth(line)).toBeLessThanOrEqual(9);
  });
});

const HOSTILE_NAME = '\u001b]0;pwn\u0007\r\bx'; // sets the window title, rings, returns, backspaces

async function startNamed(name: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', `process.title = ${JSON.stringify(name)}; process.stdout.write('ready\\n'); process.stdin.resume();`],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  await once(child.stdout!, 'data');
  return child;
}

describe('a hostile process name and file name', () => {
  let named: ChildProcess;
  let mapper: ChildProcess | null = null;
  let directory = '';
  const hostileFile = 'ev\u001b[2J\u0007il\r\b.bin';

  beforeAll(async () => {
    named = await startNamed(HOSTILE_NAME);
    if (hasPython) {
      directory = mkdtempSync(path.join(tmpdir(), 'canfork-hostile-'));
      // A 256 MiB private writable file mapping: accountable, the largest VMA, its path in /proc/PID/maps.
      mapper = spawn('python3', ['-c', `
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
os.ftruncate(fd, 256 << 20)
m = mmap.mmap(fd, 256 << 20, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
print('ready', flush=True)
sys.stdin.read()`, path.join(directory, hostileFile)], { stdio: ['pipe', 'pipe', 'inherit'] });
      await once(mapper.stdout!, 'data');
    }
  });

  afterAll(async () => {
    for (const child of [named, mapper]) {
      if (child === null || child.exitCode !== null) continue;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
    if (directory !== '') rmSync(directory, { recursive: true, force: true });
  });

  it('no raw control character in the summary, the detail report or --watch, coloured or not', async () => {
    const pids = [String(named.pid), ...(mapper ? [String(mapper.pid)] : [])];
    const runs = [
      runCanfork([]),
      runCanfork(pids),
      runCanfork(['--all', ...pids]),
      runCanfork(['--color=always', '--all', ...pids]),
    ];
    for (const run of runs) {
      expect(controlsIn(run.stdout)).toEqual([]);
      expect(controlsIn(run.stderr)).toEqual([]);
    }
    expect(runs[0]!.stdout).toMatch(new RegExp(` +${named.pid} \\?\\]0;pwn\\?\\?\\?x +ok`));
    expect(runs[1]!.stdout).toContain(`PID ${named.pid} (?]0;pwn???x): can fork`);
    if (mapper) expect(runs[1]!.stdout).toContain('ev?[2J?il??.bin');
    // JSON carries the name as it is, escaped by JSON itself.
    const document = JSON.parse(runCanfork(['--json', String(named.pid)]).stdout);
    expect(document.processes[0].comm).toBe(HOSTILE_NAME);

    const watch = spawn(process.execPath, [cliPath, '--watch', '0.2', '--color=always', String(named.pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let frames = '';
    watch.stdout.setEncoding('utf8').on('data', (text: string) => {
      frames += text;
    });
    while (!frames.includes('Ctrl-C')) await once(watch.stdout, 'data');
    const exited = once(watch, 'exit');
    watch.kill('SIGTERM');
    await exited;
    expect(frames).toContain('?]0;pwn???x');
    expect(controlsIn(frames)).toEqual([]);
  });

  it('a usage error quotes the bad argument with its controls escaped', () => {
    const run = runCanfork(['--serve', '0', '--host', '\u001b[2J']);
    expect(run.status).toBe(2);
    expect(controlsIn(run.stderr)).toEqual([]);
  });
});

describe.runIf(hasTmux && hasPython)('wide and combining names on a real terminal (tmux)', () => {
  const names = ['测试进程ab', 'ｆｕｌｌ', 'e\u0301e\u0301e\u0301x', 'plainname'];
  const children: ChildProcess[] = [];
  const socketDirectory = mkdtempSync(path.join(tmpdir(), 'canfork-wide-tmux-'));
  const socket = path.join(socketDirectory, 'terminal');
  const tmux = tmuxAt(socket, { ...process.env, LANG: 'C.UTF-8' });

  beforeAll(async () => {
    for (const name of names) children.push(await startNamed(name));
  });

  afterAll(async () => {
    spawnSync('tmux', ['-S', socket, 'kill-server']);
    rmSync(socketDirectory, { recursive: true, force: true });
    for (const child of children) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
  });

  it('every row keeps its columns: STATUS starts at the same cell', async () => {
    const pids = children.map((child) => child.pid!);
    const pattern = `^ *(${pids.join('|')}) `;
    tmux('new-session', '-d', '-s', 'cli', '-x', '80', '-y', '20',
      `NO_COLOR=1 "${process.execPath}" "${cliPath}" --all ${pids.join(' ')} | grep -E '${pattern}'; sleep 60`);
    let rows: string[] = [];
    for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
      rows = tmux('capture-pane', '-p', '-t', 'cli').split('\n').filter((line) => new RegExp(pattern).test(line));
      if (rows.length >= pids.length) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(rows).toHaveLength(pids.length); // one screen line each: nothing wrapped
    const statusCells = rows.map((row) => {
      const match = / (ok|RISK|CANNOT|UNKNOWN) /.exec(row);
      expect(match, row).not.toBeNull();
      return pythonWidths([row.slice(0, match!.index)])[0];
    });
    expect(new Set(statusCells).size, rows.join('\n')).toBe(1);
    for (const [index, name] of names.entries()) expect(rows.some((row) => row.includes(name.slice(0, 4))), `${index}`).toBe(true);
  });
});
