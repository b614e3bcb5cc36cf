// What a person sees: the command in a real terminal (tmux, 80 columns), read back with
// `tmux capture-pane`. --watch redraws in place and marks changes; colours appear on the terminal
// and disappear under NO_COLOR.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/requirements';
import { tmuxAt } from '../helpers/tmux';
import { cliPath, commOf, repoRoot } from './processes';

const tmuxGate = requireTool('tmux', 'tmux');

// One private tmux server per terminal, its socket in our own directory: reusing a socket right
// after kill-server races its shutdown.
const socketDirectory = mkdtempSync(path.join(tmpdir(), 'canfork-cli-tmux-'));
let terminalCount = 0;
let socket = '';
const terminalEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => key !== 'NO_COLOR' && key !== 'FORCE_COLOR' && !key.startsWith('VITEST')),
) as NodeJS.ProcessEnv;

function tmux(...args: string[]): string {
  return tmuxAt(socket, terminalEnv)(...args);
}

function openTerminal(command: string, rows: number): void {
  if (socket !== '') spawnSync('tmux', ['-S', socket, 'kill-server']);
  socket = path.join(socketDirectory, `terminal-${++terminalCount}`);
  tmux('new-session', '-d', '-s', 'cli', '-x', '80', '-y', String(rows), command);
}

/** The screen as text, or with its SGR escapes (`-e`). */
function screen(withEscapes = false): string {
  return tmux('capture-pane', '-p', ...(withEscapes ? ['-e'] : []), '-t', 'cli');
}

async function waitForScreen(predicate: (text: string) => boolean, what: string): Promise<string> {
  let text = '';
  for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
    text = screen();
    if (predicate(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the terminal never showed ${what}:\n${text}`);
}

afterEach(() => {
  // Our own server, by its private socket: other tmux servers are not touched.
  if (socket !== '') spawnSync('tmux', ['-S', socket, 'kill-server']);
  socket = '';
});

afterAll(() => {
  rmSync(socketDirectory, { recursive: true, force: true });
});

describe.skipIf(tmuxGate.skip)('in a terminal', () => {
  it('--watch redraws in place: a new process gets +, a changed value * and reverse video', async () => {
    // A node child that maps 1 GiB (untouched) when told to: its BIG VMA cell changes between frames.
    const changer = spawn(process.execPath, ['-e', `
      const { mmap } = require(${JSON.stringify(path.join(repoRoot, 'dist', 'index.js'))});
      process.stdin.once('data', () => { globalThis.kept = mmap(2 ** 30); process.stdout.write('mapped\\n'); });
    `], { stdio: ['pipe', 'pipe', 'inherit'] });
    let sleeper: ReturnType<typeof spawn> | undefined;
    try {
      await once(changer, 'spawn');
      openTerminal(`${process.execPath} ${cliPath} --watch 1`, 200);
      const first = await waitForScreen((t) => t.includes('Ctrl-C quits') && new RegExp(`^. +${changer.pid} ${commOf(changer.pid!)} `, 'm').test(t), 'the first frame');
      expect(first.split('\n')[0]).toMatch(/^canfork: can each process fork\? /);

      sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
      await once(sleeper, 'spawn');
      const added = await waitForScreen((t) => new RegExp(`^\\+ *${sleeper!.pid} sleep `, 'm').test(t), `+ for new pid ${sleeper.pid}`);
      expect(added.trimEnd().split('\n').length).toBeLessThanOrEqual(200);

      changer.stdin!.write('map\n');
      await once(changer.stdout!, 'data');
      const changedRow = new RegExp(`^\\* *${changer.pid} ${commOf(changer.pid!)} +ok +1\\.\\d GiB`, 'm');
      await waitForScreen((t) => changedRow.test(t), `* for pid ${changer.pid} after its 1 GiB mmap`);
      const coloured = screen(true).split('\n').find((line) => line.includes(` ${changer.pid} `))!;
      expect(coloured).toContain('\x1b[7m'); // the changed cell in reverse video
      expect(coloured).toContain('\x1b[32m'); // "ok" in green
      // Every line fits the 80-column terminal: tmux would have wrapped a longer one.
      for (const line of screen().split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    } finally {
      for (const child of [changer, sleeper]) if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    }
  });

  it('--watch on a short terminal keeps the header and the riskiest rows on screen', async () => {
    // A bare CI container may run fewer processes than a 24-row screen holds: 30 sleepers make
    // sure the table overflows.
    const sleepers = Array.from({ length: 30 }, () => spawn('sleep', ['300'], { stdio: 'ignore' }));
    try {
      await Promise.all(sleepers.map((sleeper) => once(sleeper, 'spawn')));
      openTerminal(`${process.execPath} ${cliPath} --watch 1`, 24);
      const text = await waitForScreen((t) => t.includes('Ctrl-C quits'), 'a frame');
      const lines = text.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^canfork: can each process fork\?/);
      expect(lines).toHaveLength(24);
      expect(lines[22]).toMatch(/^ \.\.\. \d+ more \(.*\) below the screen/);
      expect(lines[23]).toMatch(/every 1 s; \* changed, \+ new; Ctrl-C quits/);
    } finally {
      for (const sleeper of sleepers) if (sleeper.pid !== undefined && sleeper.exitCode === null) sleeper.kill('SIGKILL');
    }
  });

  it('colours on the terminal; none with NO_COLOR', async () => {
    openTerminal(`${process.execPath} ${cliPath} ${process.pid}; sleep 600`, 60);
    await waitForScreen((t) => t.includes('RLIMIT_NPROC'), 'the report');
    const coloured = screen(true);
    expect(coloured).toContain(`\x1b[1mPID ${process.pid} (${commOf(process.pid)})`); // bold heading
    expect(coloured).toContain('\x1b[32mcan fork'); // green verdict

    openTerminal(`env NO_COLOR=1 ${process.execPath} ${cliPath} ${process.pid}; sleep 600`, 60);
    const plain = await waitForScreen((t) => t.includes('RLIMIT_NPROC'), 'the report');
    expect(screen(true)).not.toContain('\x1b[');
    expect(plain).toContain(`PID ${process.pid} (${commOf(process.pid)}): can fork`);
  });
});
