// From what ChildProcess.prototype.spawn hands its process handle to the native plan: the same
// fields libuv's uv_spawn reads (file, args, cwd, envPairs, stdio, detached, uid, gid).
import { constants } from 'node:os';
import { native, type NativeSpawnPlan } from '../binding';
import { envPairsOf, INHERITED_ENVIRONMENT } from './normalize';

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

export function pathCandidates(file: string, envPairs: readonly string[] | null): string[] {
  if (file.includes('/')) return [file];
  let searchPath = DEFAULT_PATH;
  if (envPairs === null) {
    // The inherited environment: its first PATH is what process.env.PATH reads (getenv).
    searchPath = process.env.PATH ?? DEFAULT_PATH;
  } else {
    for (const pair of envPairs) {
      if (pair.startsWith('PATH=')) {
        searchPath = pair.slice(5);
        break;
      }
    }
  }
  return searchPath.split(':').map((dir) => (dir === '' ? file : `${dir}/${file}`));
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
  // Node's handle converts each entry to a string (Utf8Value); holes become 'undefined'.
  return Array.from(values, (value) => String(value));
}

function idOf(value: number | undefined): number {
  // Node passes an int32 on; uv_spawn hands it to setuid as uid_t.
  return value === undefined || value === null ? -1 : value >>> 0;
}

/**
 * The child's environment: null for process.env as it is (environ, handed over by the addon) when the
 * pairs are the marked empty array of environmentPairs and nothing was pushed onto them; else strings.
 */
function environmentOf(envPairs: readonly unknown[] | undefined): string[] | null {
  if (envPairs === undefined || (envPairs as { [INHERITED_ENVIRONMENT]?: boolean })[INHERITED_ENVIRONMENT] !== true) return toStrings(envPairs);
  if (envPairs.length === 0) return null;
  // Node pushed its NODE_CHANNEL_* pairs (ipc): they follow the variables, as in Node's own envPairs.
  return [...envPairsOf(undefined), ...toStrings(envPairs)];
}

export function buildPlan(options: Omit<HandleSpawnOptions, 'stdio'>, stdio: number[], extras: PlanExtras): NativeSpawnPlan {
  const envp = environmentOf(options.envPairs);
  const argv = toStrings(options.args);
  if (argv.length === 0) argv.push(options.file);
  // No prototype: the native side reads optional fields (cwd, pdeathsig, cgroupFd) by name, and a
  // polluted Object.prototype must not supply them.
  const plan = {
    __proto__: null,
    candidates: pathCandidates(options.file, envp),
    argv,
    envp,
    stdio,
    uid: idOf(options.uid),
    gid: idOf(options.gid),
    newSession: options.detached === true,
    newProcessGroup: extras.processGroup,
    rlimits: extras.rlimits,
  } as unknown as NativeSpawnPlan;
  // Node's handle uses cwd only when it is a non-empty string.
  if (typeof options.cwd === 'string' && options.cwd.length > 0) plan.cwd = options.cwd;
  return plan;
}
