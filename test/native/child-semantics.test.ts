// The child's side of libuv's rules, which child_process users get, compared with child_process in the
// same test: O_NONBLOCK cleared on a handed-over 0-2, /dev/null modes for ignored 0-2, a script without
// #! run by /bin/sh; and the plan fields child_process lacks: pdeathsig.
import * as childProcess from 'node:child_process';
import { chmodSync, closeSync, constants as fsConstants, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from '../../src/index';
import { distEntry } from '../hardening/run-node';
import { runSync } from './plan';

const scratch = mkdtempSync(path.join(tmpdir(), 'canfork-child-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const O_NONBLOCK = 0o4000;

// The `flags:` line of each fdinfo file the child printed, as numbers.
function fdFlags(text: string): number[] {
  return [...text.matchAll(/^flags:\s+([0-7]+)$/gm)].map((match) => parseInt(match[1]!, 8));
}

describe('handed-over fds', () => {
  // Clearing O_NONBLOCK changes the open file description, shared with the parent: fresh fds for each run.
  function flagsSeen(run: (stdio: (number | string)[]) => string): number[] {
    const file = path.join(scratch, 'nonblocking');
    writeFileSync(file, '');
    const low = openSync(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    const high = openSync(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    try {
      return fdFlags(run([low, 'pipe', 'ignore', high]));
    } finally {
      closeSync(low);
      closeSync(high);
    }
  }

  it('fd 0-2 lose O_NONBLOCK, fd 3+ keep it, as child_process does (/proc/self/fdinfo)', () => {
    const args = ['/proc/self/fdinfo/0', '/proc/self/fdinfo/3'];
    const ours = flagsSeen((stdio) => spawnSync('cat', args, { stdio: stdio as never, encoding: 'utf8' }).stdout as string);
    const theirs = flagsSeen((stdio) => childProcess.spawnSync('cat', args, { stdio: stdio as never, encoding: 'utf8' }).stdout);
    expect(ours.map((flags) => flags & O_NONBLOCK)).toEqual([0, O_NONBLOCK]);
    expect(ours).toEqual(theirs);
  });

  it("an ignored 0 is /dev/null read-only, 1 and 2 read-write, as child_process's", () => {
    // The shell's own fds ($$), read in a command substitution so that no redirection touches them.
    const script = 'r=$(for fd in 0 1 2; do readlink /proc/$$/fd/$fd; grep ^flags: /proc/$$/fdinfo/$fd; done); echo "$r" >&3';
    const stdio = ['ignore', 'ignore', 'ignore', 'pipe'];
    const run = spawnSync('sh', ['-c', script], { stdio: stdio as never, encoding: 'utf8' });
    expect(run.error).toBeUndefined();
    const ours = run.output![3] as string;
    const theirs = childProcess.spawnSync('sh', ['-c', script], { stdio: stdio as never, encoding: 'utf8' }).output[3] as string;
    expect(ours.split('\n').filter((line) => line.startsWith('/')).length).toBe(3);
    expect(fdFlags(ours).map((flags) => flags & 3 /* O_ACCMODE */)).toEqual([fsConstants.O_RDONLY, fsConstants.O_RDWR, fsConstants.O_RDWR]);
    expect(ours).toBe(theirs);
  });
});

describe('a program the kernel cannot execute (ENOEXEC)', () => {
  // No #! and no ELF header: execve fails with ENOEXEC, and execvp runs it under /bin/sh.
  const script = path.join(scratch, 'no-shebang');
  writeFileSync(script, 'echo "0=$0 args=$*"; tr "\\0" " " < /proc/$$/cmdline; echo\n');
  chmodSync(script, 0o755);

  it('runs under /bin/sh with [sh, candidate, ...args], by path and by PATH search, as child_process', () => {
    const byPath = [script, ['a b', 'c']] as const;
    const bySearch = ['no-shebang', ['x'], { env: { PATH: `/nonexistent:${scratch}` } }] as const;
    for (const [command, args, options] of [[...byPath, {}], bySearch] as const) {
      const ours = spawnSync(command, [...args], { ...options, encoding: 'utf8' });
      const theirs = childProcess.spawnSync(command, [...args], { ...options, encoding: 'utf8' });
      expect({ status: ours.status, stdout: ours.stdout, error: ours.error }).toEqual({ status: 0, stdout: theirs.stdout, error: undefined });
    }
    expect(spawnSync(script, ['a b', 'c'], { encoding: 'utf8' }).stdout).toBe(`0=${script} args=a b c\n/bin/sh ${script} a b c \n`);
  });

  it('the native core alone does it too (no PATH: the plan names the candidate)', () => {
    expect(runSync([script, 'one']).stdout).toBe(`0=${script} args=one\n/bin/sh ${script} one \n`);
  });
});

describe('pdeathsig', () => {
  // A node process spawns two shells that write a file when SIGTERM comes, one with pdeathsig SIGTERM,
  // one without; then it is SIGKILLed. The first gets SIGTERM, the second lives on (and is killed here).
  it('the child gets its pdeathsig when the parent is killed; without one it lives on', async () => {
    const marks = [path.join(scratch, 'with'), path.join(scratch, 'without')];
    const shell = (mark: string): string[] =>
      // Written aside and renamed, so the mark appears with its content (a reader could see it empty).
      ['/bin/sh', '-c', `trap 'echo TERM > ${mark}.part; mv ${mark}.part ${mark}; kill $!; exit 0' TERM; sleep 30 & wait`];
    const parent = childProcess.spawn(process.execPath, ['-e', `
      const { native, packStrings } = require(${JSON.stringify(path.join(path.dirname(distEntry), 'binding.js'))});
      const { STDIO_IGNORE: ignore } = native.constants;
      const plan = (argv, pdeathsig) => ({ candidates: packStrings([argv[0]]), argv: packStrings(argv), envp: '', stdio: [ignore, ignore, ignore],
        uid: -1, gid: -1, newSession: false, newProcessGroup: false, rlimits: [], pdeathsig });
      const pids = [native.spawn(plan(${JSON.stringify(shell(marks[0]!))}, ${osConstants.signals.SIGTERM}), new Int32Array(4)),
                    native.spawn(plan(${JSON.stringify(shell(marks[1]!))}, 0), new Int32Array(4))];
      console.log(JSON.stringify(pids));
      setInterval(() => {}, 1000);
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pids = await new Promise<number[]>((resolve) => {
      let text = '';
      parent.stdout.on('data', (chunk) => {
        text += chunk;
        if (text.includes('\n')) resolve(JSON.parse(text) as number[]);
      });
    });
    // Both shells must have set their trap before the parent dies.
    const caught = (pid: number): bigint => BigInt(`0x${/^SigCgt:\s+([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]}`);
    const trapped = (pid: number): boolean => (caught(pid) & (1n << BigInt(osConstants.signals.SIGTERM - 1))) !== 0n;
    while (!pids.every(trapped)) await new Promise((resolve) => setTimeout(resolve, 10));
    parent.kill('SIGKILL');
    await new Promise((resolve) => parent.once('close', resolve));
    while (!existsSync(marks[0]!)) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(readFileSync(marks[0]!, 'utf8')).toBe('TERM\n');
    const survivor = pids[1]!;
    expect(existsSync(marks[1]!)).toBe(false);
    expect(readFileSync(`/proc/${survivor}/stat`, 'utf8').split(') ')[1]![0]).not.toBe('Z');
    process.kill(survivor, 'SIGTERM');
    while (!existsSync(marks[1]!)) await new Promise((resolve) => setTimeout(resolve, 10));
  });
});
