// Every spawn option, observed from the child's side: /proc/self, id, ulimit, pwd, what it reads.
import * as childProcess from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getrlimit, spawn, spawnSync, type SpawnOptions } from '../../src/index';
import { finished, openFdTargets, statFields } from './helpers';
import { requireRoot } from '../helpers/requirements';

const isRoot = !requireRoot('spawns with uid and gid of another user').skip;
const scratch = mkdtempSync(path.join(tmpdir(), 'canfork-spawn-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(script: string, options: Parameters<typeof spawnSync>[2] = {}): string {
  const result = spawnSync('sh', ['-c', script], { ...options, encoding: 'utf8' });
  expect(result.error).toBeUndefined();
  expect(result.stderr).toBe('');
  return result.stdout!;
}

// True once `sleep` sleeps: past exec and past its dynamic loader, whose transient fds (ld.so.cache,
// libc) would otherwise show in the fd table.
function execCompleted(pid: number): boolean {
  return readFileSync(`/proc/${pid}/wchan`, 'utf8').includes('nanosleep');
}

/** A process's open fd numbers, in ascending order. */
const fdNumbers = (pid: number): string[] => readdirSync(`/proc/${pid}/fd`).sort((a, b) => Number(a) - Number(b));

// The fd table child_process gives a running `sleep` with these stdio options: the reference, since fds
// this process inherited without FD_CLOEXEC stay open in both (libuv closes nothing above stdio).
async function childProcessFds(stdio: childProcess.StdioOptions): Promise<string[]> {
  const child = childProcess.spawn('sleep', ['30'], { stdio });
  await new Promise((resolve) => child.once('spawn', resolve));
  while (!execCompleted(child.pid!)) await new Promise((resolve) => setTimeout(resolve, 5));
  const fds = fdNumbers(child.pid!);
  child.kill();
  await new Promise((resolve) => child.once('close', resolve));
  return fds;
}

// Looks at a running `sleep` from outside: its fd table and status are exactly what exec handed over.
async function whileRunning<T>(options: SpawnOptions, look: (pid: number) => T): Promise<T> {
  const child = spawn('sleep', ['30'], options);
  const done = finished(child);
  await new Promise((resolve) => child.once('spawn', resolve));
  try {
    // The vfork parent resumes inside execve (exec_mmap), before the new program has its argument
    // area (load_elf_binary) and before its loader ran: wait until it sleeps, bounded.
    for (let tries = 0; tries < 200 && !execCompleted(child.pid!); tries++) await new Promise((resolve) => setTimeout(resolve, 5));
    return look(child.pid!);
  } finally {
    child.kill('SIGKILL');
    await done;
  }
}

describe('spawn options seen from the child', () => {
  it('cwd (string and URL)', () => {
    expect(run('pwd', { cwd: scratch })).toBe(`${scratch}\n`);
    expect(run('pwd', { cwd: new URL(`file://${scratch}`) })).toBe(`${scratch}\n`);
  });

  it('args are strings as child_process makes them: holes, undefined and null included', () => {
    // eslint-disable-next-line no-sparse-arrays -- the hole is the point
    const args = [, 'a', undefined, null, 7] as unknown as string[];
    const ours = spawnSync('echo', args, { encoding: 'utf8' });
    const node = childProcess.spawnSync('echo', args, { encoding: 'utf8' });
    expect(ours.stdout).toBe('undefined a undefined null 7\n');
    expect(ours.stdout).toBe(node.stdout);
  });

  it('env replaces the environment; undefined values are left out', () => {
    // No PATH in it: the bare name is looked up on the default path, as execvp does.
    const result = spawnSync('env', [], { env: { ONE: '1', TWO: 'two words', GONE: undefined }, encoding: 'utf8' });
    expect(result.stdout).toBe('ONE=1\nTWO=two words\n');
  });

  it('env defaults to process.env', () => {
    process.env.CANFORK_SPAWN_MARK = 'from the parent';
    try {
      expect(run('echo "$CANFORK_SPAWN_MARK"')).toBe('from the parent\n');
    } finally {
      delete process.env.CANFORK_SPAWN_MARK;
    }
  });

  it('argv0 is what the child sees as argv[0]; the program is still found by command', async () => {
    const cmdline = await whileRunning({ argv0: 'renamed' }, (pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
    expect(cmdline).toBe('renamed\u000030\u0000');
    expect(await whileRunning({}, (pid) => readlinkSync(`/proc/${pid}/exe`))).toMatch(/\/sleep$/);
  });

  it('arguments arrive byte for byte, with spaces, quotes, newlines and no shell', () => {
    const args = ['a b', '"q"', "'s'", 'l1\nl2', '$HOME', '*', ''];
    const result = spawnSync('/usr/bin/printf', ['%s|', ...args], { encoding: 'utf8' });
    expect(result.stdout).toBe(`${args.join('|')}|`);
  });

  it('the child fd table is child_process\'s: 0, 1, 2, none of our CLOEXEC fds', async () => {
    const extra = openSync(__filename, 'r');
    try {
      const fds = await whileRunning({}, fdNumbers);
      expect(fds).toEqual(await childProcessFds('pipe'));
      expect(fds.slice(0, 3)).toEqual(['0', '1', '2']);
      expect(fds).not.toContain(String(extra));
    } finally {
      closeSync(extra);
    }
  });

  it('stdio: fd numbers are handed over at their index, as child_process hands them', async () => {
    const file = path.join(scratch, 'fd-out');
    const fd = openSync(file, 'w');
    try {
      const table = await whileRunning({ stdio: ['pipe', 'ignore', 'inherit', 'ignore', fd] }, (pid) => Object.fromEntries(openFdTargets(pid)));
      expect(Object.keys(table)).toEqual(await childProcessFds(['pipe', 'ignore', 'inherit', 'ignore', fd]));
      expect(Object.keys(table).slice(0, 4)).toEqual(['0', '1', '2', '4']);
      expect(table['0']).toMatch(/^socket:/);
      expect(table['1']).toBe('/dev/null');
      expect(table['2']).toBe(readlinkSync('/proc/self/fd/2'));
      expect(table['4']).toBe(file);
      const result = spawnSync('sh', ['-c', 'echo to-fd-4 >&4'], { stdio: ['pipe', 'pipe', 'pipe', 'ignore', fd] });
      expect(result.status).toBe(0);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file, 'utf8')).toBe('to-fd-4\n');
  });

  it("stdio 'ignore' is /dev/null for 0-2, and 'inherit' passes our own fds", () => {
    const file = path.join(scratch, 'inherit-out');
    const fd = openSync(file, 'w');
    try {
      const result = spawnSync('sh', ['-c', 'readlink /proc/$$/fd/0 /proc/$$/fd/2 >&1; echo to-stdout'], { stdio: ['ignore', fd, 'ignore'] });
      expect(result.status).toBe(0);
      expect(result.output).toEqual([null, null, null]);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file, 'utf8')).toBe('/dev/null\n/dev/null\nto-stdout\n');
  });

  it('detached: a new session led by the child', () => {
    const [, , pgrp, session] = run('cat /proc/$$/stat | sed "s/.*) //"', { detached: true }).split(' ');
    const pid = Number(run('echo $$', { detached: true }));
    expect(pid).toBeGreaterThan(0);
    expect(pgrp).toBe(session);
    expect(session).not.toBe(statFields('self')[3]);
  });

  it('processGroup: a new process group led by the child, in our session', () => {
    const [pid, pgrp, session] = run('echo $$ $(cut -d" " -f5,6 /proc/$$/stat)', { processGroup: true }).trim().split(' ');
    expect(pgrp).toBe(pid);
    expect(session).toBe(statFields('self')[3]);
    const [, , ourGroupChild] = run('echo $$ $(cut -d" " -f5 /proc/$$/stat)').trim().split(' ');
    expect(ourGroupChild).toBeUndefined();
  });

  it.skipIf(!isRoot)('uid and gid (and no supplementary groups) by raw setuid/setgid', () => {
    expect(run('id -u; id -g; id -G', { uid: 65534, gid: 65533 })).toBe('65534\n65533\n65533\n');
  });

  it('rlimits: numbers set both sides, objects one side, only in the child', () => {
    const ours = getrlimit('nofile');
    const out = run('ulimit -Sn; ulimit -Hn; ulimit -Sc; ulimit -Hc', {
      rlimits: { nofile: { soft: 100 }, core: 0 },
    });
    const hard = ours.hard === Infinity ? 'unlimited' : String(ours.hard);
    expect(out).toBe(`100\n${hard}\n0\n0\n`);
    expect(getrlimit('nofile')).toEqual(ours);
  });

  it('signal dispositions and mask are clean: nothing ignored, caught or blocked, as child_process gives', async () => {
    const { spawn: cpSpawn } = await import('node:child_process');
    const signalLines = (pid: number): string[] =>
      readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').filter((line) => /^Sig(Blk|Ign|Cgt):/.test(line));
    const ours = await whileRunning({}, signalLines);
    expect(ours).toEqual(['SigBlk:\t0000000000000000', 'SigIgn:\t0000000000000000', 'SigCgt:\t0000000000000000']);
    const theirs = cpSpawn('sleep', ['30']);
    await new Promise((resolve) => theirs.once('spawn', resolve));
    for (let tries = 0; tries < 200 && !execCompleted(theirs.pid!); tries++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(signalLines(theirs.pid!)).toEqual(ours);
    theirs.kill('SIGKILL');
  });

  it('timeout + killSignal', async () => {
    const result = await finished(spawn('sleep', ['30'], { timeout: 50, killSignal: 'SIGKILL' }));
    expect(result.exit).toEqual([null, 'SIGKILL']);
  });

  it('signal (AbortSignal): kills with killSignal and emits AbortError', async () => {
    const controller = new AbortController();
    const child = spawn('sleep', ['30'], { signal: controller.signal });
    const done = finished(child);
    child.once('spawn', () => controller.abort());
    const result = await done;
    expect(result.error).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    expect(result.exit).toEqual([null, 'SIGTERM']);
  });

  it('an already aborted signal kills at once', async () => {
    const result = await finished(spawn('sleep', ['30'], { signal: AbortSignal.abort() }));
    expect(result.exit).toEqual([null, 'SIGTERM']);
    expect(result.error?.name).toBe('AbortError');
  });
});
