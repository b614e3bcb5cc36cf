// The only module that loads the compiled addon, and the typed shape of everything it exports.
// Order: $CANFORK_ADDON_PATH alone when set; else prebuildify's prebuilds/<platform>-<arch>/*.node, then
// the compiled builds (node-gyp's build/Release and build/Debug, cmake-js's build-cmake/Release, found
// with `bindings`). A candidate that is missing or does not load (wrong glibc, a
// corrupt file) is skipped and its reason kept: the first one that loads wins, and only when none does
// is there an error, naming every candidate and why it failed.
import { readdirSync } from 'node:fs';
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
}

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

function load(): NativeBinding {
  const tried = (candidate: AddonCandidate): void => {
    attempts.push(candidate);
    if (process.env.CANFORK_DEBUG) process.stderr.write(`canfork: addon ${candidate.path}: ${candidate.loaded ? 'loaded' : candidate.reason}\n`);
  };
  const override = process.env.CANFORK_ADDON_PATH;
  if (override) {
    const file = path.resolve(override);
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- an addon path chosen at run time
      const addon = require(file) as NativeBinding;
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
  const candidates: Array<{ file: string; open: () => NativeBinding }> = [
    ...prebuildFiles().map((file) => ({
      file,
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- prebuildify's layout, listed above
      open: () => require(file) as NativeBinding,
    })),
    ...compiled.map((parts) => ({
      file: path.join(packageRoot, ...parts, 'canfork.node'),
      open: () => bindings({ bindings: 'canfork.node', module_root: packageRoot, try: [['module_root', ...parts, 'bindings']] }) as NativeBinding,
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

export const native: NativeBinding = load();
native.setSystemErrorFactory(systemError);
