// The only module that loads the compiled addon, and the typed shape of everything it exports.
// Order: $CANFORK_ADDON_PATH, then prebuilds/<platform>-<arch>/ (prebuildify), then the node-gyp and
// cmake-js outputs that `bindings` knows.
import * as path from 'node:path';
import bindings from 'bindings';
import { systemError } from './errors';

/** One untouched anonymous mapping owned by native code (native/mmap.cc). */
export interface NativeMapping {
  readonly address: bigint;
  readonly length: number;
  readonly mapped: boolean;
  unmap(): void;
}

/** Everything the child needs, built before the clone (native/spawn.h SpawnPlan). */
export interface NativeSpawnPlan {
  /** execve targets in PATH order. */
  candidates: string[];
  argv: string[];
  /** `KEY=value` strings. */
  envp: string[];
  cwd?: string;
  /** Per child fd: -1 a socketpair, -2 ignore (/dev/null for 0-2), else the parent fd handed over. */
  stdio: number[];
  /** -1: unchanged. */
  uid: number;
  gid: number;
  newSession: boolean;
  newProcessGroup: boolean;
  /** Flat [resource, soft, hard, ...]; Infinity is unlimited. */
  rlimits: number[];
}

/** waitpid's status word: kind 0 exited, 1 signaled, 2 stopped, 3 continued; value is the code or signal. */
export type NativeWaitStatus = [kind: 0 | 1 | 2 | 3, value: number, coreDumped: boolean];

export type NativeSpawnResult = { pid: number; pidfd: number; fds: number[] } | { errno: number };

export type NativeSpawnSyncResult =
  | { errno: number }
  | { pid: number; status: NativeWaitStatus; output: (Buffer | null)[]; error: number };

export interface NativeBinding {
  setSystemErrorFactory(factory: (errnum: number, syscall: string, path?: string) => Error): void;
  NativeMapping: new (length: number, noreserve: boolean, dontfork: boolean) => NativeMapping;
  /** 0 when the kernel accepted a private writable mapping of `bytes`, else the positive errno. */
  tryAllocate(bytes: number): number;
  liveMappingCount(): number;
  rlimitResources: Record<string, number>;
  /** Where getrlimit and prlimit leave [soft, hard]: read it right after the call. */
  rlimitPair: Float64Array;
  getrlimit(resource: number): void;
  setrlimit(resource: number, soft: number, hard: number): void;
  prlimit(pid: number, resource: number, soft?: number, hard?: number): void;
  spawn(plan: NativeSpawnPlan): NativeSpawnResult;
  spawnSync(
    plan: NativeSpawnPlan, input: Buffer | null, timeoutMs: number, killSignal: number, killGroup: boolean, maxBuffer: number,
  ): NativeSpawnSyncResult;
  /** [...status, pid], or null with nohang while the child runs. */
  waitpid(pid: number, nohang: boolean): [...NativeWaitStatus, number] | null;
  /** Polls the pidfd on this thread's loop, reaps exactly `pid`, then calls back once; owns the pidfd. */
  watchExit(pid: number, pidfd: number, onExit: (errnum: number, ...status: NativeWaitStatus) => void): number;
  setExitWatchRef(id: number, ref: boolean): void;
  liveExitWatchCount(): number;
  /** native/task-trial.cc: one task created in `pid`'s pid namespace for children (and cgroup v2 directory, or ''). */
  taskTrial(pid: number, cgroupDirectory: string): NativeTaskTrialResult;
  /** The pid namespace inodes of `pid` below this process's own, level 1 first; or a negative errno. */
  pidNamespaceChain(pid: number): number[] | number;
}

/** errno 0 or negative; syscall names the step that failed ('' on success); -1 where a number is unknown. */
export interface NativeTaskTrialResult {
  errno: number;
  syscall: '' | 'open' | 'setns' | 'clone3' | 'pipe2' | 'waitid';
  path: string;
  namespace: number;
  enteredNamespace: boolean;
  helperPid: number;
  namespacePid: number;
  pidMax: number;
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
native.setSystemErrorFactory(systemError);
