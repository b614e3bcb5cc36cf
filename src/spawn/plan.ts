// From what ChildProcess.prototype.spawn hands its process handle to the native plan: the same
// fields libuv's uv_spawn reads (file, args, cwd, envPairs, stdio, detached, uid, gid).
import { constants } from 'node:os';
import { native, packStrings, type NativeSpawnPlan } from '../binding';
import { fieldsConstructor } from './fields';
import { copyEnvironment, isInheritedEnvironment } from './normalize';

/** Native stdio plan values. */
export const { STDIO_PIPE, STDIO_IGNORE } = native.constants;

export const UV_EINVAL = -constants.errno.EINVAL;

/** One entry of getValidStdio's result, as ChildProcess.prototype.spawn passes it on. */
export interface StdioContainer {
  type: 'pipe' | 'overlapped' | 'ignore' | 'inherit' | 'fd' | 'wrap';
  handle?: { fd?: number; open?(fd: number): number; close?(): void };
  ipc?: boolean;
  fd?: number;
}

/** What Node's spawn options carry into the handle. */
export interface HandleSpawnOptions {
  file: string;
  args?: unknown[];
  cwd?: unknown;
  envPairs?: unknown[];
  stdio: StdioContainer[];
  detached?: boolean;
  uid?: number;
  gid?: number;
}

/** canfork's own options that reach the plan. */
export interface PlanExtras {
  processGroup: boolean;
  /** Flat [resource, soft, hard, ...]. */
  rlimits: number[];
}

// glibc's execvp: a name with a slash is used as is; otherwise each entry of the PATH the child will
// see (first PATH= in its environment), '' meaning the current directory; without PATH, confstr's
// default. libuv sets environ to the child's environment before calling execvp, so this is Node's rule.
const DEFAULT_PATH = '/bin:/usr/bin';

function searchPathOf(envp: readonly string[] | null): string {
  if (envp === null) return process.env.PATH ?? DEFAULT_PATH;
  for (const pair of envp) {
    if (pair.startsWith('PATH=')) return pair.slice(5);
  }
  return DEFAULT_PATH;
}

export function pathCandidates(file: string, envp: readonly string[] | null): string[] {
  if (file.includes('/')) return [file];
  return searchPathOf(envp).split(':').map((dir) => (dir === '' ? file : `${dir}/${file}`));
}

/** Native stdio numbers, or UV_EINVAL for a stream without an fd (libuv's check). */
export function stdioPlan(stdio: readonly StdioContainer[]): number[] | number {
  const plan: number[] = [];
  for (const entry of stdio) {
    switch (entry.type) {
      case 'pipe':
      case 'overlapped':
        plan.push(STDIO_PIPE);
        break;
      case 'ignore':
        plan.push(STDIO_IGNORE);
        break;
      case 'wrap': {
        const fd = entry.handle?.fd;
        if (typeof fd !== 'number' || fd < 0) return UV_EINVAL;
        plan.push(fd);
        break;
      }
      default:
        plan.push(entry.fd as number);
    }
  }
  return plan;
}

function toStrings(values: readonly unknown[] | undefined): string[] {
  if (values === undefined) return [];
  // Node's handle converts each entry to a string (Utf8Value); holes become 'undefined'. A plain loop:
  // Array.from goes through the iterator protocol, several times the cost for a short list.
  const strings = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) strings[i] = String(values[i]);
  return strings;
}

// null (environ, read natively) for this process's unchanged environment; else the strings.
function environmentOf(envPairs: readonly unknown[] | undefined): string[] | null {
  if (!isInheritedEnvironment(envPairs)) return toStrings(envPairs);
  if (envPairs.length === 0) return null;
  // Node appended NODE_CHANNEL_FD and the serialization mode for IPC: the whole environment, then those.
  return [...copyEnvironment(undefined), ...envPairs];
}

function idOf(value: number | undefined): number {
  // Node passes an int32 on; uv_spawn hands it to setuid as uid_t.
  return value === undefined || value === null ? -1 : value >>> 0;
}

const PlanFields = fieldsConstructor();

export function buildPlan(options: Omit<HandleSpawnOptions, 'stdio'>, stdio: number[], extras: PlanExtras): NativeSpawnPlan {
  const envp = environmentOf(options.envPairs);
  const argv = toStrings(options.args);
  if (argv.length === 0) argv.push(options.file);
  // Nothing inherited (src/spawn/fields.ts): the native side reads optional fields (cwd, pdeathsig, cgroupFd)
  // by name, and a polluted Object.prototype must not supply them.
  const plan = new PlanFields() as unknown as NativeSpawnPlan;
  plan.candidates = packStrings(pathCandidates(options.file, envp));
  plan.argv = packStrings(argv);
  plan.envp = envp === null ? null : packStrings(envp);
  plan.stdio = stdio;
  plan.uid = idOf(options.uid);
  plan.gid = idOf(options.gid);
  plan.newSession = options.detached === true;
  plan.newProcessGroup = extras.processGroup;
  plan.rlimits = extras.rlimits;
  // Node's handle uses cwd only when it is a non-empty string.
  if (typeof options.cwd === 'string' && options.cwd.length > 0) plan.cwd = options.cwd;
  return plan;
}
