// The only module that loads the compiled addon, and the typed shape of everything it exports.
// Order: $CANFORK_ADDON_PATH alone when set; else prebuildify's prebuilds/<platform>-<arch>/*.node, then
// the compiled builds (node-gyp's build/Release and build/Debug, cmake-js's build-cmake/Release, found
// with `bindings`). A candidate that is missing or does not load (wrong glibc, a
// corrupt file) is skipped and its reason kept: the first one that loads wins, and only when none does
// is there an error, naming every candidate and why it failed.
import { readdirSync } from 'node:fs';
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
  /** Where a plan's numbers go in the Float64Array the addon's spawn reads (native/core/constants.h PlanSlot). */
  readonly PLAN_UID: number;
  readonly PLAN_GID: number;
  readonly PLAN_FLAGS: number;
  readonly PLAN_PDEATHSIG: number;
  readonly PLAN_CGROUP_FD: number;
  readonly PLAN_STDIO_COUNT: number;
  readonly PLAN_RLIMIT_COUNT: number;
  /** The stdio entries start here, the rlimits follow them. */
  readonly PLAN_HEADER_LENGTH: number;
  /** Bits of PLAN_FLAGS. */
  readonly PLAN_NEW_SESSION: number;
  readonly PLAN_NEW_PROCESS_GROUP: number;
  readonly PLAN_KEEP_PIPES_ON_EXEC_ERROR: number;
}

/** A range mapped by native.mmap; owned by the handle (unmapped by native.munmap or garbage collection). */
export interface NativeMappingHandle {
  readonly address: bigint;
  readonly length: number;
}

/**
 * A list of strings as the addon takes it: each entry followed by a NUL, one string for the whole list
 * (native/core/string-list.h), which crosses N-API in one call where an array costs calls per entry.
 */
export type NativeStringList = string & { readonly __nulTerminatedList: true };

/** `list` as a NativeStringList. An entry holding a NUL would become two: that is a TypeError. */
export function packStrings(list: readonly string[]): NativeStringList {
  for (const entry of list) {
    if (entry.includes('\0')) throw new TypeError('NUL byte in a plan string');
  }
  return (list.length === 0 ? '' : `${list.join('\0')}\0`) as NativeStringList;
}

/** Everything the child needs, built before the clone (native/core/vfork.h SpawnPlan). */
export interface NativeSpawnPlan {
  /** execve targets in PATH order; one that gives ENOEXEC runs as [/bin/sh, candidate, ...argv.slice(1)]. */
  candidates: NativeStringList;
  argv: NativeStringList;
  /** `KEY=value` strings; null: this process's environment (environ), for the main thread only. */
  envp: NativeStringList | null;
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
  /** After a failed exec, leave the parent pipe ends open in spawn's `out` (the caller's). */
  keepPipesOnExecError?: boolean;
}

/** waitpid's status word: kind is one of constants.WAIT_*; value is the exit code or the signal. */
export type NativeWaitStatus = [kind: number, value: number, coreDumped: boolean];

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
  /**
   * The pid, or a negative errno. `out` (at least plan.stdio.length + 1 long) gets the pidfd at 0 and at
   * 1 + fd the parent's end of a pipe for the child's fd, else -1: written into, so that a spawn makes no
   * object. Nothing is left open or running after a negative errno, except the pipe ends in `out` after a
   * failed exec with plan.keepPipesOnExecError (the caller's). The pidfd stays this addon's until
   * watchExit takes it: never close it yourself. A child never watched has its pidfd closed (and is
   * reaped, if nobody has) when this thread's environment ends.
   */
  spawn(plan: NativeSpawnPlan, out: Int32Array): number;
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
  /** native/task-trial.cc: one task created in `pid`'s pid namespace for children (and cgroup v2 directory, or ''). */
  taskTrial(pid: number, cgroupDirectory: string): NativeTaskTrialResult;
  /** The pid namespace inodes of `pid` below this process's own, level 1 first; or a negative errno. */
  pidNamespaceChain(pid: number): number[] | number;
  /**
   * native/mounts.cc: 1 when the mount table of a kept mountinfo descriptor's namespace changed since its open or
   * since this last said 1 for it, else 0; or a negative errno (-EBADF for a closed fd). Reads nothing.
   */
  mountsChanged(fd: number): 0 | 1 | NativeErrno;
}

/** errno 0 or negative; syscall names the step that failed ('' on success); -1 where a number is unknown. */
export interface NativeTaskTrialResult {
  errno: number;
  syscall: '' | 'open' | 'setns' | 'clone3' | 'pipe2' | 'waitid' | 'pthread_create';
  path: string;
  namespace: number;
  enteredNamespace: boolean;
  helperPid: number;
  namespacePid: number;
  pidMax: number;
}

/** A spawn plan as the addon takes it: its strings, and its numbers packed by packPlanNumbers. */
type PackedPlan = [candidates: NativeStringList, argv: NativeStringList, envp: NativeStringList | null, cwd: unknown,
  numbers: Float64Array];

/**
 * What the compiled addon exports: NativeBinding, but spawn and spawnSync take the plan packed, and
 * spawnSync leaves [pid, kind, value, coreDumped, error] in spawnSyncStatus and returns only the output
 * (null when no fd was a pipe to read).
 */
interface NativeAddon extends Omit<NativeBinding, 'spawn' | 'spawnSync'> {
  spawn(...args: [...PackedPlan, out: Int32Array]): number;
  spawnSync(...args: [...PackedPlan, ...SpawnSyncTail]): (Buffer | null)[] | null | NativeErrno;
  readonly spawnSyncStatus: Float64Array;
}

type SpawnSyncTail = [input: Buffer | null, timeoutMs: number, killSignal: number, killGroup: boolean, maxBuffer: number,
  forceKillAfterMs?: number, cgroupKillFd?: number];

const packageRoot = path.resolve(__dirname, '..');

/** One place the loader looked for the addon, and what happened there. */
export interface AddonCandidate {
  readonly path: string;
  readonly loaded: boolean;
  /** Why it was not used: not there, or the loader's error (e.g. dlopen's message). */
  readonly reason?: string;
}

const attempts: AddonCandidate[] = [];

/**
 * Where the addon was looked for and why each candidate before the one loaded was skipped (a prebuild
 * that does not load on this system, say). `CANFORK_DEBUG=1` prints the same on stderr at load.
 */
export function addonLoadReport(): readonly AddonCandidate[] {
  return attempts.slice();
}

function missing(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return code === 'MODULE_NOT_FOUND' || /Could not locate the bindings file|not find/i.test(message ?? '');
}

function reasonOf(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n', 1).join('');
}

function prebuildFiles(): string[] {
  const directory = path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`);
  let names: string[];
  try {
    names = readdirSync(directory).filter((name) => name.endsWith('.node')).sort();
  } catch {
    return [path.join(directory, 'canfork.node')]; // reported as not there
  }
  // canfork.node first (prebuildify --napi names it so), then any tagged variant.
  names.sort((a, b) => Number(b === 'canfork.node') - Number(a === 'canfork.node'));
  return names.map((name) => path.join(directory, name));
}

function load(): NativeAddon {
  const tried = (candidate: AddonCandidate): void => {
    attempts.push(candidate);
    if (process.env.CANFORK_DEBUG) process.stderr.write(`canfork: addon ${candidate.path}: ${candidate.loaded ? 'loaded' : candidate.reason}\n`);
  };
  const override = process.env.CANFORK_ADDON_PATH;
  if (override) {
    const file = path.resolve(override);
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- an addon path chosen at run time
      const addon = require(file) as NativeAddon;
      tried({ path: file, loaded: true });
      return addon;
    } catch (error) {
      tried({ path: file, loaded: false, reason: reasonOf(error) });
      throw Object.assign(new Error(`canfork: CANFORK_ADDON_PATH=${override} does not load: ${reasonOf(error)}`, { cause: error }), {
        code: 'ERR_CANFORK_ADDON',
        candidates: addonLoadReport(),
      });
    }
  }
  // The prebuild first (what the package ships), then what was compiled here: an install whose prebuild
  // does not load compiles one, and it is found.
  const compiled = [['build', 'Release'], ['build', 'Debug'], ['build-cmake', 'Release']];
  const candidates: Array<{ file: string; open: () => NativeAddon }> = [
    ...prebuildFiles().map((file) => ({
      file,
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- prebuildify's layout, listed above
      open: () => require(file) as NativeAddon,
    })),
    ...compiled.map((parts) => ({
      file: path.join(packageRoot, ...parts, 'canfork.node'),
      open: () => bindings({ bindings: 'canfork.node', module_root: packageRoot, try: [['module_root', ...parts, 'bindings']] }) as NativeAddon,
    })),
  ];
  for (const { file, open } of candidates) {
    try {
      const addon = open();
      tried({ path: file, loaded: true });
      return addon;
    } catch (error) {
      tried({ path: file, loaded: false, reason: missing(error) ? 'not there' : reasonOf(error) });
    }
  }
  const lines = attempts.map((candidate) => `  ${path.relative(packageRoot, candidate.path)}: ${candidate.reason}`);
  throw Object.assign(new Error(
    `canfork: no native addon loads here (${process.platform}-${process.arch}, Node ${process.version}). Tried:\n${lines.join('\n')}\n`
    + `Compile one with \`npm rebuild canfork\` (needs a C++ compiler, make and python3).`,
  ), { code: 'ERR_CANFORK_ADDON', candidates: addonLoadReport() });
}

const addon = load();
const { constants } = addon;

// Where packPlanNumbers writes, grown for a longer plan: the addon copies it before anything else runs.
let planNumbers = new Float64Array(constants.PLAN_HEADER_LENGTH + 8);

function planNumber(plan: NativeSpawnPlan, name: 'uid' | 'gid' | 'pdeathsig' | 'cgroupFd', absent?: number): number {
  const value = plan[name];
  if (value === undefined && absent !== undefined) return absent;
  if (typeof value !== 'number') throw new TypeError(`plan.${name} must be a number`);
  return value;
}

function arrayField(plan: NativeSpawnPlan, name: 'stdio' | 'rlimits'): unknown[] {
  const values: unknown = plan[name];
  if (!Array.isArray(values)) throw new TypeError(`plan.${name} must be an array`);
  return values;
}

// Copies `values` to numbers[at...], each checked as it goes.
function writeNumbers(numbers: Float64Array, at: number, values: unknown[], name: 'stdio' | 'rlimits'): void {
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value !== 'number') throw new TypeError(`plan.${name} entries must be numbers`);
    numbers[at + i] = value;
  }
}

// A plan's numbers in one Float64Array (native/core/constants.h PlanSlot): reading a dozen properties of
// the plan object through N-API cost 7 µs per spawn once a child had run, a typed array crosses in one call.
// Types are checked here; ranges and the strings natively.
function packPlanNumbers(plan: NativeSpawnPlan): Float64Array {
  if (typeof plan !== 'object' || plan === null) throw new TypeError('plan must be an object');
  const stdio = arrayField(plan, 'stdio');
  const rlimits = arrayField(plan, 'rlimits');
  const header = constants.PLAN_HEADER_LENGTH;
  if (planNumbers.length < header + stdio.length + rlimits.length) planNumbers = new Float64Array(header + stdio.length + rlimits.length);
  const numbers = planNumbers;
  numbers[constants.PLAN_UID] = planNumber(plan, 'uid');
  numbers[constants.PLAN_GID] = planNumber(plan, 'gid');
  numbers[constants.PLAN_FLAGS] = (plan.newSession ? constants.PLAN_NEW_SESSION : 0)
    | (plan.newProcessGroup ? constants.PLAN_NEW_PROCESS_GROUP : 0) | (plan.keepPipesOnExecError ? constants.PLAN_KEEP_PIPES_ON_EXEC_ERROR : 0);
  numbers[constants.PLAN_PDEATHSIG] = planNumber(plan, 'pdeathsig', 0);
  numbers[constants.PLAN_CGROUP_FD] = planNumber(plan, 'cgroupFd', -1);
  numbers[constants.PLAN_STDIO_COUNT] = stdio.length;
  numbers[constants.PLAN_RLIMIT_COUNT] = rlimits.length;
  writeNumbers(numbers, header, stdio, 'stdio');
  writeNumbers(numbers, header + stdio.length, rlimits, 'rlimits');
  return numbers;
}

export const native: NativeBinding = {
  ...addon,
  spawn(plan, out) {
    const numbers = packPlanNumbers(plan);
    return addon.spawn(plan.candidates, plan.argv, plan.envp, plan.cwd, numbers, out);
  },
  spawnSync(plan, input, timeoutMs, killSignal, killGroup, maxBuffer, forceKillAfterMs, cgroupKillFd) {
    const numbers = packPlanNumbers(plan);
    const output = addon.spawnSync(plan.candidates, plan.argv, plan.envp, plan.cwd, numbers, input, timeoutMs, killSignal, killGroup,
      maxBuffer, forceKillAfterMs, cgroupKillFd);
    if (typeof output === 'number') return output;
    const status = addon.spawnSyncStatus;
    return {
      pid: status[0] as number,
      status: [status[1] as number, status[2] as number, status[3] !== 0],
      output: output ?? new Array<Buffer | null>(plan.stdio.length).fill(null),
      error: status[4] as number,
    };
  },
};
