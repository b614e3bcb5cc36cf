// The only module that loads the compiled addon, and the typed shape of everything it exports.
// Order: $CANFORK_ADDON_PATH, then prebuilds/<platform>-<arch>/ (prebuildify), then the node-gyp and
// cmake-js outputs that `bindings` knows.
import * as path from 'node:path';
import bindings from 'bindings';

/**
 * The error contract of every native function: a failed syscall comes back as a negative errno number
 * (or a negative errno field), never thrown; src/errors.ts turns it into a Node-style error. Only a
 * malformed argument throws, as a TypeError or RangeError. A negative number is always an errno.
 */
export type NativeErrno = number;

/** Numbers shared with native/core/constants.h: read these, never copy them. */
export interface NativeConstants {
  /** Plan stdio entry: a socketpair, the parent keeps one end. */
  readonly STDIO_PIPE: number;
  /** Plan stdio entry: /dev/null for 0-2 (0 read-only, 1-2 read-write), left as it is above. */
  readonly STDIO_IGNORE: number;
  readonly WAIT_EXITED: number;
  readonly WAIT_SIGNALED: number;
  readonly WAIT_STOPPED: number;
  readonly WAIT_CONTINUED: number;
  /** PID_MAX_LIMIT (include/linux/threads.h, 64-bit): no pid is larger. */
  readonly PID_MAX_LIMIT: number;
}

/** A range mapped by native.mmap; owned by the handle (unmapped by native.munmap or garbage collection). */
export interface NativeMappingHandle {
  readonly address: bigint;
  readonly length: number;
}

/** Everything the child needs, built before the clone (native/core/vfork.h SpawnPlan). */
export interface NativeSpawnPlan {
  /** execve targets in PATH order; one that gives ENOEXEC runs as [/bin/sh, candidate, ...argv.slice(1)]. */
  candidates: string[];
  argv: string[];
  /**
   * `KEY=value` strings; null: this process's environ as it is at the clone, copied nowhere (the main thread's
   * process.env is environ itself).
   */
  envp: string[] | null;
  cwd?: string;
  /** Per child fd: constants.STDIO_PIPE, constants.STDIO_IGNORE, else the parent fd handed over. */
  stdio: number[];
  /** -1: unchanged. */
  uid: number;
  gid: number;
  newSession: boolean;
  newProcessGroup: boolean;
  /** Flat [resource, soft, hard, ...]; Infinity is unlimited. */
  rlimits: number[];
  /**
   * PR_SET_PDEATHSIG in the child (0 or absent: none), set after uid/gid. It fires when the spawning
   * *thread* ends (prctl(2)), so a child spawned from a worker gets it when that worker exits.
   */
  pdeathsig?: number;
  /** A cgroup v2 directory fd: the child starts in it (clone3 CLONE_INTO_CGROUP, 5.7+). -1 or absent: ours. */
  cgroupFd?: number;
  /** After a failed exec, return { error, fds } with the parent pipe ends still open (the caller's). */
  keepPipesOnExecError?: boolean;
}

/** waitpid's status word: kind is one of constants.WAIT_*; value is the exit code or the signal. */
export type NativeWaitStatus = [kind: number, value: number, coreDumped: boolean];

export type NativeSpawnResult = { pid: number; pidfd: number; fds: number[] } | NativeErrno;
/** A failed exec with plan.keepPipesOnExecError: the parent pipe ends, still open. */
export type NativeExecFailure = { error: NativeErrno; fds: number[] };

export type NativeSpawnSyncResult =
  | NativeErrno
  | {
    pid: number;
    status: NativeWaitStatus;
    output: (Buffer | null)[];
    /** 0, or a negative errno: ETIMEDOUT, ENOBUFS, or a kill signal the kernel refused (SIGKILL went instead). */
    error: NativeErrno;
  };

export interface NativeBinding {
  readonly constants: NativeConstants;
  /** An untouched private read-write anonymous mapping, or a negative errno (mmap). */
  mmap(length: number, noreserve: boolean): NativeMappingHandle | NativeErrno;
  /** MADV_DONTFORK on a handle's range: 0 or a negative errno (madvise). */
  dontfork(handle: NativeMappingHandle): NativeErrno;
  /** 0 or a negative errno (munmap); 0 again once unmapped. */
  munmap(handle: NativeMappingHandle): NativeErrno;
  /** 0 when the kernel accepted a private writable mapping of `bytes`, else a negative errno. */
  tryAllocate(bytes: number): NativeErrno;
  liveMappingCount(): number;
  rlimitResources: Record<string, number>;
  /** Where getrlimit and prlimit leave [soft, hard] on success: read it right after the call. */
  rlimitPair: Float64Array;
  getrlimit(resource: number): NativeErrno;
  setrlimit(resource: number, soft: number, hard: number): NativeErrno;
  prlimit(pid: number, resource: number, soft?: number, hard?: number): NativeErrno;
  /** Nothing is left open or running when it returns a negative errno. */
  spawn(plan: NativeSpawnPlan & { keepPipesOnExecError: true }): NativeSpawnResult | NativeExecFailure;
  spawn(plan: NativeSpawnPlan): NativeSpawnResult;
  /**
   * Runs the child to its end. On timeout or maxBuffer: killSignal then SIGCONT to the child (its group
   * with killGroup), "1" into cgroupKillFd, and SIGKILL (and cgroup.kill again) forceKillAfterMs later.
   */
  spawnSync(
    plan: NativeSpawnPlan, input: Buffer | null, timeoutMs: number, killSignal: number, killGroup: boolean, maxBuffer: number,
    forceKillAfterMs?: number, cgroupKillFd?: number,
  ): NativeSpawnSyncResult;
  /** [...status, pid], null with nohang while the child runs, or a negative errno. */
  waitpid(pid: number, nohang: boolean): [...NativeWaitStatus, number] | null | NativeErrno;
  /**
   * Polls the pidfd on this thread's loop, reaps exactly `pid`, then calls back once with err 0 or a
   * negative errno (-ECHILD: reaped by someone else). Owns the pidfd. The id, or a negative errno.
   */
  watchExit(pid: number, pidfd: number, onExit: (err: NativeErrno, ...status: NativeWaitStatus) => void): number;
  setExitWatchRef(id: number, ref: boolean): void;
  /** pidfd_send_signal through the watch's pidfd: 0 or a negative errno; -ESRCH once reaped. */
  signalWatched(id: number, signal: number): NativeErrno;
}

const packageRoot = path.resolve(__dirname, '..');

function load(): NativeBinding {
  const override = process.env.CANFORK_ADDON_PATH;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- an addon path chosen at run time
  if (override) return require(path.resolve(override)) as NativeBinding;
  return bindings({
    bindings: 'canfork.node',
    module_root: packageRoot,
    try: [
      ['module_root', 'prebuilds', `${process.platform}-${process.arch}`, 'bindings'],
      ['module_root', 'build', 'Release', 'bindings'],
      ['module_root', 'build', 'Debug', 'bindings'],
      ['module_root', 'build-cmake', 'Release', 'bindings'],
    ],
  }) as NativeBinding;
}

export const native: NativeBinding = load();
