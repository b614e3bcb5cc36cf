// The native boundary as one contract: every constant the TypeScript side uses comes from the addon
// (no copy left to drift), and every native failure comes back the same way: 0 or a negative errno.
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { native, packStrings, type NativeSpawnPlan, type NativeStringList } from '../../src/binding';
import { STDIO_IGNORE, STDIO_PIPE } from '../../src/spawn/plan';
import { plan, runSync, spawnChild } from './plan';

const { errno } = osConstants;
const srcRoot = path.resolve(__dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : full.endsWith('.ts') ? [full] : [];
  });
}

function waitNative(pid: number): [number, number, boolean, number] {
  const result = native.waitpid(pid, false);
  if (result === null || typeof result === 'number') throw new Error(`waitpid: ${String(result)}`);
  return result;
}

describe('native.constants', () => {
  it('is frozen and holds what src/ reads', () => {
    expect(Object.isFrozen(native.constants)).toBe(true);
    expect(Object.keys(native.constants).sort()).toEqual([
      'PID_MAX_LIMIT', 'PLAN_CGROUP_FD', 'PLAN_FLAGS', 'PLAN_GID', 'PLAN_HEADER_LENGTH', 'PLAN_KEEP_PIPES_ON_EXEC_ERROR',
      'PLAN_NEW_PROCESS_GROUP', 'PLAN_NEW_SESSION', 'PLAN_PDEATHSIG', 'PLAN_RLIMIT_COUNT', 'PLAN_STDIO_COUNT', 'PLAN_UID',
      'STDIO_IGNORE', 'STDIO_PIPE', 'WAIT_CONTINUED', 'WAIT_EXITED', 'WAIT_SIGNALED', 'WAIT_STOPPED',
    ]);
    expect(STDIO_PIPE).toBe(native.constants.STDIO_PIPE);
    expect(STDIO_IGNORE).toBe(native.constants.STDIO_IGNORE);
  });

  it('lays a plan\'s numbers out in distinct slots before the header\'s end, with one bit per flag', () => {
    const { PLAN_UID, PLAN_GID, PLAN_FLAGS, PLAN_PDEATHSIG, PLAN_CGROUP_FD, PLAN_STDIO_COUNT, PLAN_RLIMIT_COUNT, PLAN_HEADER_LENGTH } = native.constants;
    const slots = [PLAN_UID, PLAN_GID, PLAN_FLAGS, PLAN_PDEATHSIG, PLAN_CGROUP_FD, PLAN_STDIO_COUNT, PLAN_RLIMIT_COUNT];
    expect([...slots].sort((a, b) => a - b)).toEqual(slots.map((_, index) => index));
    expect(PLAN_HEADER_LENGTH).toBe(slots.length);
    const { PLAN_NEW_SESSION, PLAN_NEW_PROCESS_GROUP, PLAN_KEEP_PIPES_ON_EXEC_ERROR } = native.constants;
    expect(PLAN_NEW_SESSION | PLAN_NEW_PROCESS_GROUP | PLAN_KEEP_PIPES_ON_EXEC_ERROR).toBe(7);
  });

  it('spawnSync gives pid, status, output and error, also with no fd to read', () => {
    const { WAIT_EXITED, WAIT_SIGNALED, STDIO_PIPE: pipe } = native.constants;
    const exited = native.spawnSync(plan(['/bin/sh', '-c', 'exit 3']), null, 0, 15, false, 1 << 20);
    if (typeof exited === 'number') throw new Error(`spawnSync: ${exited}`);
    expect(exited.pid).toBeGreaterThan(0);
    expect(exited).toEqual({ pid: exited.pid, status: [WAIT_EXITED, 3, false], output: [null, null, null], error: 0 });
    const killed = native.spawnSync(plan(['/bin/sh', '-c', 'echo out; kill -9 $$'], { stdio: [STDIO_IGNORE, pipe] }), null, 0, 15, false, 1 << 20);
    if (typeof killed === 'number') throw new Error(`spawnSync: ${killed}`);
    expect(killed.pid).not.toBe(exited.pid);
    expect(killed.status).toEqual([WAIT_SIGNALED, 9, false]);
    expect(killed.output).toEqual([null, Buffer.from('out\n')]);
    const timedOut = native.spawnSync(plan(['/bin/sleep', '5']), null, 50, 15, false, 1 << 20);
    if (typeof timedOut === 'number') throw new Error(`spawnSync: ${timedOut}`);
    expect(timedOut.status).toEqual([WAIT_SIGNALED, 15, false]);
    expect(timedOut.error).toBe(-errno.ETIMEDOUT);
  });

  it('the stdio markers do what they name: PIPE gives a socket, IGNORE /dev/null', () => {
    const { STDIO_PIPE: pipe, STDIO_IGNORE: ignore } = native.constants;
    const result = native.spawnSync(
      plan(['/bin/sh', '-c', 'readlink /proc/self/fd/0; readlink /proc/self/fd/1'], { stdio: [ignore, pipe, ignore] }),
      null, 0, 15, false, 1 << 20,
    );
    if (typeof result === 'number') throw new Error(`spawnSync: ${result}`);
    expect(result.output[1]!.toString()).toMatch(/^\/dev\/null\nsocket:\[\d+\]\n$/);
  });

  it('the wait kinds are what waitpid reports for a real exit, kill, stop and continue', () => {
    const { WAIT_EXITED, WAIT_SIGNALED, WAIT_STOPPED, WAIT_CONTINUED } = native.constants;
    expect(new Set([WAIT_EXITED, WAIT_SIGNALED, WAIT_STOPPED, WAIT_CONTINUED]).size).toBe(4);
    const exited = spawnChild(plan(['/bin/sh', '-c', 'exit 3']));
    const sleeper = spawnChild(plan(['/bin/sleep', '30']));
    if (typeof exited === 'number' || typeof sleeper === 'number') throw new Error('spawn failed');
    expect(waitNative(exited.pid).slice(0, 2)).toEqual([WAIT_EXITED, 3]);
    process.kill(sleeper.pid, 'SIGSTOP');
    expect(waitNative(sleeper.pid).slice(0, 2)).toEqual([WAIT_STOPPED, osConstants.signals.SIGSTOP]);
    process.kill(sleeper.pid, 'SIGCONT');
    expect(waitNative(sleeper.pid)[0]).toBe(WAIT_CONTINUED);
    process.kill(sleeper.pid, 'SIGTERM');
    expect(waitNative(sleeper.pid).slice(0, 2)).toEqual([WAIT_SIGNALED, osConstants.signals.SIGTERM]);
    // A pidfd stays the addon's until watchExit takes it (src/binding.ts): closing it here would leave the
    // number in the addon's list, and its teardown would close whatever fd had that number by then.
    for (const child of [exited, sleeper]) native.watchExit(child.pid, child.pidfd, () => undefined);
  });

  it('PID_MAX_LIMIT is the kernel\'s 64-bit ceiling: pid_max never exceeds it, and it bounds the pid checks', () => {
    expect(native.constants.PID_MAX_LIMIT).toBe(4 * 1024 * 1024);
    expect(Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'))).toBeLessThanOrEqual(native.constants.PID_MAX_LIMIT);
    expect(native.prlimit(native.constants.PID_MAX_LIMIT, 7)).toBe(-errno.ESRCH);
    expect(() => native.prlimit(native.constants.PID_MAX_LIMIT + 1, 7)).toThrow(RangeError);
    expect(() => native.waitpid(native.constants.PID_MAX_LIMIT + 1, true)).toThrow(RangeError);
  });

  it('no source file keeps a copy: no pid ceiling literal, no stdio marker or wait kind by number', () => {
    const copies: string[] = [];
    for (const file of sourceFiles(srcRoot)) {
      const text = readFileSync(file, 'utf8');
      const name = path.relative(srcRoot, file);
      if (/4_?194_?304/.test(text)) copies.push(`${name}: the pid ceiling`);
      if (/STDIO_(PIPE|IGNORE)\s*=\s*-?\d/.test(text)) copies.push(`${name}: a stdio marker`);
      if (/\bkind\s*===?\s*[0-3]\b/.test(text)) copies.push(`${name}: a wait kind`);
      // A switch over numbers where a native wait status is decoded (overcommit modes are switched on elsewhere).
      if (/NativeWaitStatus/.test(text) && /case [0-3]:/.test(text)) copies.push(`${name}: a wait kind`);
      if (/\bstdio\b[^\n]*\[\s*-[12]\s*,/.test(text)) copies.push(`${name}: stdio markers by number`);
    }
    expect(copies).toEqual([]);
  });
});

describe('the spawn plan and result shapes', () => {
  it('a string list is one string, each entry NUL-terminated: empty entries and multi-byte text arrive as given', () => {
    expect([packStrings([]), packStrings(['']), packStrings(['a', '', 'b'])]).toEqual(['', '\0', 'a\0\0b\0']);
    expect(() => packStrings(['a\0b'])).toThrow(TypeError);
    const args = ['x', '', 'ü✓ 𝄞', '', 'y'];
    const result = runSync(['/bin/sh', '-c', 'printf "%s|" "$@"', 'sh', ...args], { envp: packStrings(['A=', 'B=ü']) });
    expect(result.stdout).toBe(`${args.join('|')}|`);
    expect(runSync(['/bin/sh', '-c', 'printf "%s|%s|%s" "$A" "$B" "${C-unset}"'], { envp: packStrings(['A=', 'B=ü']) }).stdout)
      .toBe('|ü|unset');
  });

  it('spawn writes the pidfd at 0 and each parent pipe end at 1 + fd into out, -1 elsewhere', () => {
    const out = new Int32Array(6).fill(12345);
    const pid = native.spawn(plan(['/bin/true'], { stdio: [STDIO_IGNORE, STDIO_PIPE, STDIO_IGNORE, STDIO_PIPE] }), out);
    expect(pid).toBeGreaterThan(0);
    const [pidfd, ...ends] = Array.from(out);
    expect(readlinkSync(`/proc/self/fd/${pidfd}`)).toBe('anon_inode:[pidfd]');
    expect(ends.slice(0, 4).map((fd) => fd >= 0)).toEqual([false, true, false, true]);
    expect(ends[4]).toBe(12345);  // beyond plan.stdio: not the addon's to write
    for (const fd of [ends[1]!, ends[3]!]) expect(readlinkSync(`/proc/self/fd/${fd}`)).toMatch(/^socket:/);
    expect(waitNative(pid).slice(0, 2)).toEqual([native.constants.WAIT_EXITED, 0]);
    for (const fd of [ends[1]!, ends[3]!]) closeSync(fd);
  });
});

describe('one errno shape: 0 or a negative errno, never thrown', () => {
  it('spawn and spawnSync: a negative errno when nothing ran', () => {
    expect(spawnChild(plan(['/nonexistent/program']))).toBe(-errno.ENOENT);
    expect(native.spawnSync(plan(['/nonexistent/program']), null, 0, 15, false, 1024)).toBe(-errno.ENOENT);
    expect(spawnChild(plan(['/bin/true'], { cwd: '/nonexistent' }))).toBe(-errno.ENOENT);
    // Nothing left open: no pidfd, and the pipe's parent end closed (no keepPipesOnExecError).
    const out = new Int32Array(3).fill(12345);
    expect(native.spawn(plan(['/nonexistent/program'], { stdio: [STDIO_IGNORE, STDIO_PIPE] }), out)).toBe(-errno.ENOENT);
    expect(Array.from(out)).toEqual([-1, -1, -1]);
  });

  it('spawnSync: error 0, or -ETIMEDOUT / -ENOBUFS', () => {
    const ok = native.spawnSync(plan(['/bin/true']), null, 0, 15, false, 1024);
    const timedOut = native.spawnSync(plan(['/bin/sleep', '5']), null, 50, 15, false, 1024);
    const tooMuch = native.spawnSync(plan(['/bin/sh', '-c', 'yes'], { stdio: [STDIO_IGNORE, STDIO_PIPE, STDIO_IGNORE] }), null, 0, 15, false, 1024);
    expect([ok, timedOut, tooMuch].map((result) => (typeof result === 'number' ? result : result.error)))
      .toEqual([0, -errno.ETIMEDOUT, -errno.ENOBUFS]);
  });

  it('mmap, dontfork, munmap, tryAllocate, getrlimit, setrlimit, prlimit, waitpid', () => {
    const handle = native.mmap(1 << 20, false);
    if (typeof handle === 'number') throw new Error(`mmap: ${handle}`);
    expect(native.dontfork(handle)).toBe(0);
    expect(native.munmap(handle)).toBe(0);
    expect(native.munmap(handle)).toBe(0);
    expect(native.dontfork(handle)).toBe(-errno.EINVAL);
    expect(native.mmap(2 ** 52, false)).toBe(-errno.ENOMEM);
    expect(native.tryAllocate(4096)).toBe(0);
    expect(native.tryAllocate(2 ** 52)).toBe(-errno.ENOMEM);
    expect(native.getrlimit(native.rlimitResources.nofile!)).toBe(0);
    expect(native.setrlimit(native.rlimitResources.nofile!, 2, 1)).toBe(-errno.EINVAL);
    expect(native.prlimit(native.constants.PID_MAX_LIMIT, native.rlimitResources.nofile!)).toBe(-errno.ESRCH);
    expect(native.waitpid(1, true)).toBe(-errno.ECHILD);
  });

  it('mountsChanged: 0 for a file that is no mounts file (it never polls POLLPRI), -EBADF for no descriptor', () => {
    // 1 after a change is shown in a mount namespace of its own: test/canfork/mount-changes.test.ts.
    const file = openSync(__filename, 'r');
    expect(native.mountsChanged(file)).toBe(0);
    closeSync(file);
    // Not the number just closed: another thread may have been given it meanwhile.
    expect(native.mountsChanged(2 ** 30)).toBe(-errno.EBADF);
  });

  it('watchExit calls back with 0, signalWatched answers 0 while the child lives and -ESRCH once it is reaped', async () => {
    const child = spawnChild(plan(['/bin/sleep', '30']));
    if (typeof child === 'number') throw new Error(`spawn: ${child}`);
    const exit = new Promise<unknown[]>((resolve) => {
      const id = native.watchExit(child.pid, child.pidfd, (...args) => resolve([id, ...args]));
      expect(native.signalWatched(id, 0)).toBe(0);
      expect(native.signalWatched(id, osConstants.signals.SIGTERM)).toBe(0);
    });
    const [id, ...args] = await exit;
    expect(args).toEqual([0, native.constants.WAIT_SIGNALED, osConstants.signals.SIGTERM, false]);
    expect(native.signalWatched(id as number, osConstants.signals.SIGTERM)).toBe(-errno.ESRCH);
    expect(native.signalWatched(999_999, 0)).toBe(-errno.ESRCH);
  });

  it('watchExit of an fd that cannot be polled: a negative errno, and the child is reaped in the background, not left', async () => {
    const child = spawnChild(plan(['/bin/sleep', '30']));
    if (typeof child === 'number') throw new Error(`spawn: ${child}`);
    // A regular file: epoll refuses it (EPERM). watchExit owns the fd it is given and closes it.
    const file = openSync(__filename, 'r');
    expect(native.watchExit(child.pid, file, () => undefined)).toBe(-errno.EPERM);
    // The kill went to the fd given (not a pidfd here): end the child through its real pidfd's pid; the
    // background reaper then reaps it, so no zombie is left under us.
    process.kill(child.pid, 'SIGKILL');
    closeSync(child.pidfd);
    const gone = (): boolean => {
      try {
        return !/^State:\s+[RSDTtZ]/m.test(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      } catch {
        return true;
      }
    };
    for (let i = 0; i < 200 && !gone(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(gone()).toBe(true);
  });

  it('the background reaper of an fd that is always ready does not spin while the child runs', async () => {
    const child = spawnChild(plan(['/bin/sleep', '0.6']));
    if (typeof child === 'number') throw new Error(`spawn: ${child}`);
    const file = openSync(__filename, 'r');
    expect(native.watchExit(child.pid, file, () => undefined)).toBe(-errno.EPERM);
    // Not a pidfd, so the kill could not reach the child: it runs its 0.6 s, with the reaper waiting on it.
    const before = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const used = process.cpuUsage(before);
    closeSync(child.pidfd);
    // A spinning reaper thread takes a whole core for those 500 ms; a waiting one, a few ms.
    expect((used.user + used.system) / 1000).toBeLessThan(200);
  });

  it('a malformed argument is the only throw: TypeError or RangeError', () => {
    expect(() => native.spawn({} as NativeSpawnPlan, new Int32Array(4))).toThrow(TypeError);
    expect(() => native.spawn(plan(['/bin/true'], { pdeathsig: 99 }), new Int32Array(4))).toThrow(RangeError);
    expect(() => native.spawn(plan(['/bin/true'], { cgroupFd: -2 }), new Int32Array(4))).toThrow(RangeError);
    expect(() => native.spawn(plan(['/bin/true']), new Int32Array(3))).toThrow(RangeError);
    expect(() => native.spawn(plan(['/bin/true']), new Float64Array(4) as unknown as Int32Array)).toThrow(TypeError);
    expect(() => native.spawn(plan(['/bin/true'], { argv: ['/bin/true'] as unknown as NativeStringList }), new Int32Array(4)))
      .toThrow(TypeError);
    expect(() => native.spawn(plan(['/bin/true'], { argv: '/bin/true' as NativeStringList }), new Int32Array(4)))
      .toThrow(TypeError);
    expect(() => native.spawn(null as unknown as NativeSpawnPlan, new Int32Array(4))).toThrow(TypeError);
    expect(() => native.spawn(plan(['/bin/true'], { uid: '0' as unknown as number }), new Int32Array(4))).toThrow(TypeError);
    expect(() => native.spawn(plan(['/bin/true'], { uid: 2 ** 32 }), new Int32Array(4))).toThrow(RangeError);
    expect(() => native.spawn(plan(['/bin/true'], { stdio: ['1' as unknown as number] }), new Int32Array(4))).toThrow(TypeError);
    expect(() => native.spawn(plan(['/bin/true'], { stdio: [-3] }), new Int32Array(4))).toThrow(RangeError);
    expect(() => native.spawn(plan(['/bin/true'], { rlimits: [1, 2] }), new Int32Array(4))).toThrow(RangeError);
    expect(() => native.spawn(plan(['/bin/true'], { rlimits: [99, 1, 1] }), new Int32Array(4))).toThrow(RangeError);
    expect(() => native.spawn(plan(['/bin/true'], { rlimits: [native.rlimitResources.nofile!, 64.5, 128] }), new Int32Array(4)))
      .toThrow(RangeError);
    expect(() => native.spawnSync(plan(['/bin/true'], { gid: 1.5 }), null, 0, 15, false, 1)).toThrow(RangeError);
    // The message names the argument that was wrong.
    expect(() => native.spawnSync(plan(['/bin/true']), null, 0, 15, false, 1, 1.5)).toThrow(new RangeError('forceKillAfterMs is out of range'));
    expect(() => native.spawnSync(plan(['/bin/true']), null, 0, 15, false, 1, -1, -2)).toThrow(new RangeError('cgroupKillFd is out of range'));
    expect(() => native.spawnSync(plan(['/bin/true']), null, Number.NaN, 15, false, 1)).toThrow(new RangeError('timeoutMs is out of range'));
    expect(() => native.spawnSync(plan(['/bin/true']), null, 0, 1e300, false, 1)).toThrow(new RangeError('killSignal is out of range'));
    expect(() => native.setrlimit(native.rlimitResources.nofile!, 64, 128.5))
      .toThrow(new RangeError('hard must be a non-negative safe integer or Infinity'));
    expect(() => native.munmap({ address: 0n, length: 1 })).toThrow(TypeError);
    expect(() => native.signalWatched(1, 100)).toThrow(RangeError);
    expect(() => native.mountsChanged('3' as unknown as number)).toThrow(TypeError);
    expect(() => native.mountsChanged(-1)).toThrow(RangeError);
    expect(() => native.mountsChanged(1.5)).toThrow(RangeError);
  });
});
