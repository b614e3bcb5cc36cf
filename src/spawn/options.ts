// From (command, args, options) to the native plan, with child_process's checks and error codes.
// Everything the child needs is resolved here, so the native child side only reads it.
import { fileURLToPath } from 'node:url';
import { native, type NativeSpawnPlan } from '../binding';
import { invalidArgType, invalidArgValue, outOfRange } from '../errors';
import { getrlimit, resourceNumber, validateLimitValue, type Rlimit, type RlimitResource } from '../rlimit';
import { validateOptions } from '../validate';
import { signalNumber } from './signals';

export type StdioEntry = 'pipe' | 'overlapped' | 'inherit' | 'ignore' | number | { fd: number } | null | undefined;
export type StdioOption = 'pipe' | 'overlapped' | 'inherit' | 'ignore' | StdioEntry[];

export interface CommonSpawnOptions {
  cwd?: string | URL;
  /** Default: process.env. Keys whose value is undefined are left out. */
  env?: NodeJS.ProcessEnv;
  argv0?: string;
  stdio?: StdioOption;
  /** A new session (setsid): the child leads a new session and process group. */
  detached?: boolean;
  /** The child leads a new process group (setpgid(0, 0)); kill() and the timeout signal the whole group. */
  processGroup?: boolean;
  uid?: number;
  gid?: number;
  /** Applied in the child only, before exec. A number sets soft and hard; a missing side keeps ours. */
  rlimits?: Partial<Record<RlimitResource, number | Partial<Rlimit>>>;
  /** Milliseconds; then killSignal is sent. 0 or undefined: no timeout. */
  timeout?: number;
  killSignal?: NodeJS.Signals | number;
  /** child_process's shell option is refused: canfork never runs a shell. */
  shell?: false;
}

/** Native stdio plan values (native.constants). */
export const { STDIO_PIPE, STDIO_IGNORE } = native.constants;

export interface NormalizedSpawn {
  file: string;
  /** [argv0, ...args], as child_process's spawnargs. */
  spawnargs: string[];
  plan: NativeSpawnPlan;
  timeoutMs: number;
  killSignal: number;
  processGroup: boolean;
}

function checkNoNul(value: string, name: string): string {
  if (value.includes('\u0000')) throw invalidArgValue(name, value, 'must be a string without null bytes');
  return value;
}

function validateString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
}

function normalizeArgs(args: unknown): string[] {
  if (args === undefined || args === null) return [];
  if (!Array.isArray(args)) throw invalidArgType('args', 'an instance of Array', args);
  // Array.from, not map: a hole becomes 'undefined', as child_process passes it, instead of staying a hole.
  return Array.from(args, (arg: unknown, index) => {
    if (typeof arg === 'object' && arg !== null) throw invalidArgType(`args[${index}]`, 'of type string', arg);
    return checkNoNul(String(arg), `args[${index}]`);
  });
}

function normalizeEnv(env: NodeJS.ProcessEnv | undefined): { envp: string[]; path: string | undefined } {
  const source = env ?? process.env;
  if (typeof source !== 'object' || source === null) throw invalidArgType('options.env', 'of type object', source);
  const envp: string[] = [];
  let path: string | undefined;
  // for-in as child_process does: inherited enumerable keys count too.
  for (const key in source) {
    const value = source[key];
    if (value === undefined) continue;
    checkNoNul(key, `options.env['${key}']`);
    const text = checkNoNul(String(value), `options.env['${key}']`);
    envp.push(`${key}=${text}`);
    if (key === 'PATH') path = text;
  }
  return { envp, path };
}

/** execvp's search: a name with a slash is used as is; else every PATH entry ('' is the cwd). */
function pathCandidates(file: string, searchPath: string | undefined): string[] {
  if (file.includes('/')) return [file];
  return (searchPath ?? '/usr/local/bin:/usr/bin:/bin').split(':').map((dir) => (dir === '' ? file : `${dir}/${file}`));
}

function stdioEntry(entry: StdioEntry, index: number): number {
  if (entry === null || entry === undefined) return index < 3 ? STDIO_PIPE : STDIO_IGNORE;
  if (entry === 'pipe' || entry === 'overlapped') return STDIO_PIPE;
  if (entry === 'ignore') return STDIO_IGNORE;
  if (entry === 'inherit') return index;
  const fd = typeof entry === 'object' ? entry.fd : entry;
  if (typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 && fd <= 0x7fffffff) return fd;
  throw invalidArgValue('stdio', entry, 'is invalid: use pipe, inherit, ignore or a file descriptor (ipc is not supported)');
}

export function normalizeStdio(stdio: unknown): number[] {
  if (stdio === undefined) return [STDIO_PIPE, STDIO_PIPE, STDIO_PIPE];
  if (typeof stdio === 'string') {
    if (!['pipe', 'overlapped', 'inherit', 'ignore'].includes(stdio)) throw invalidArgValue('stdio', stdio);
    return [0, 1, 2].map((index) => stdioEntry(stdio as StdioEntry, index));
  }
  if (!Array.isArray(stdio)) throw invalidArgType('options.stdio', 'of type string or an instance of Array', stdio);
  const entries = [...(stdio as StdioEntry[])];
  while (entries.length < 3) entries.push(undefined);
  return entries.map(stdioEntry);
}

function normalizeId(value: unknown, name: string): number {
  if (value === undefined) return -1;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < 0 || value > 0xfffffffe) throw outOfRange(name, '>= 0 && <= 4294967294', value);
  return value;
}

function normalizeRlimits(rlimits: unknown): number[] {
  if (rlimits === undefined) return [];
  const entries = validateOptions(rlimits as object, 'options.rlimits');
  const flat: number[] = [];
  for (const [resource, value] of Object.entries(entries)) {
    const name = `options.rlimits.${resource}`;
    const id = resourceNumber(resource, 'options.rlimits');
    if (typeof value === 'number') {
      validateLimitValue(value, name);
      flat.push(id, value, value);
      continue;
    }
    const { soft, hard } = validateOptions(value as Partial<Rlimit>, name);
    if (soft !== undefined) validateLimitValue(soft, `${name}.soft`);
    if (hard !== undefined) validateLimitValue(hard, `${name}.hard`);
    const current = soft === undefined || hard === undefined ? getrlimit(resource as RlimitResource) : { soft, hard };
    flat.push(id, soft ?? current.soft, hard ?? current.hard);
  }
  return flat;
}

export function normalizeTimeout(value: unknown, name = 'options.timeout'): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1) throw outOfRange(name, 'an integer >= 0 and < 2 ** 31', value);
  return value;
}

export function normalizeSpawn(command: unknown, args: unknown, options: CommonSpawnOptions | undefined): NormalizedSpawn {
  validateString(command, 'file');
  if (command.length === 0) throw invalidArgValue('file', command, 'cannot be empty');
  checkNoNul(command, 'file');
  const argList = normalizeArgs(args);
  const opts = validateOptions(options);
  if (opts.shell !== undefined && opts.shell !== false) {
    throw invalidArgValue('options.shell', opts.shell, 'is not supported: canfork never runs a shell');
  }
  let cwd: string | undefined;
  if (opts.cwd !== undefined && opts.cwd !== null) {
    cwd = opts.cwd instanceof URL ? fileURLToPath(opts.cwd) : opts.cwd;
    validateString(cwd, 'options.cwd');
    checkNoNul(cwd, 'options.cwd');
  }
  let argv0 = command;
  if (opts.argv0 !== undefined) {
    validateString(opts.argv0, 'options.argv0');
    argv0 = checkNoNul(opts.argv0, 'options.argv0');
  }
  const { envp, path } = normalizeEnv(opts.env);
  for (const key of ['detached', 'processGroup'] as const) {
    if (opts[key] !== undefined && typeof opts[key] !== 'boolean') throw invalidArgType(`options.${key}`, 'of type boolean', opts[key]);
  }
  const spawnargs = [argv0, ...argList];
  const plan: NativeSpawnPlan = {
    candidates: pathCandidates(command, path),
    argv: spawnargs,
    envp,
    stdio: normalizeStdio(opts.stdio),
    uid: normalizeId(opts.uid, 'options.uid'),
    gid: normalizeId(opts.gid, 'options.gid'),
    newSession: opts.detached === true,
    newProcessGroup: opts.processGroup === true,
    rlimits: normalizeRlimits(opts.rlimits),
  };
  if (cwd !== undefined) plan.cwd = cwd;
  return {
    file: command,
    spawnargs,
    plan,
    timeoutMs: normalizeTimeout(opts.timeout),
    killSignal: signalNumber(opts.killSignal ?? 'SIGTERM'),
    processGroup: opts.processGroup === true,
  };
}
