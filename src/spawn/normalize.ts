// child_process's argument rules (lib/child_process.js of the running Node): own properties only,
// null as unset, the same checks in the same order with the same errors. Version differences are
// keyed on the major version where Node changed them.
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { getrlimit, resourceNumber, validateLimitValue, type Rlimit, type RlimitResource } from '../rlimit';
import { fieldsConstructor } from './fields';
import { canforkOptionsIgnored } from './node-only';
import { invalidArgType, invalidArgValue, outOfRange, unknownSignal } from './node-errors';
import { readSupervision, type SupervisionPlan } from './supervise';

export const nodeMajor = Number(process.versions.node.split('.')[0]);

/** Options after normalisation: what ChildProcess.prototype.spawn and the sync path read. */
export interface NormalizedOptions extends Record<string, unknown> {
  file: string;
  args: string[];
  cwd: unknown;
  envPairs: string[];
  detached: boolean;
  windowsHide: boolean;
  windowsVerbatimArguments: boolean;
  stdio?: unknown;
  uid?: number;
  gid?: number;
}

/** canfork's own options, read from the same own-property copy. */
export interface CanforkExtras {
  /** False for a call through child_process under register(): Node's behaviour exactly, no canfork option. */
  canforkSemantics: boolean;
  processGroup: boolean;
  rlimits: number[];
  supervision: SupervisionPlan | undefined;
}

export function validateString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw invalidArgType(name, 'string', value);
}

export function validateObject(value: unknown, name: string): asserts value is object {
  if (value === null || Array.isArray(value) || typeof value !== 'object') throw invalidArgType(name, 'Object', value);
}

export function validateBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'boolean', value);
}

export function validateFunction(value: unknown, name: string): asserts value is (...args: unknown[]) => unknown {
  if (typeof value !== 'function') throw invalidArgType(name, 'Function', value);
}

export function validateArray(value: unknown, name: string): asserts value is unknown[] {
  if (!Array.isArray(value)) throw invalidArgType(name, 'Array', value);
}

export function nullCheck(value: unknown, name: string): void {
  if (typeof value === 'string' && value.includes('\u0000')) {
    throw invalidArgValue(name, value, 'must be a string without null bytes');
  }
}

export function nullCheckEach(values: readonly unknown[], name: string): void {
  for (let index = 0; index < values.length; index++) nullCheck(values[index], `${name}[${index}]`);
}

function isInt32(value: unknown): boolean {
  return value === ((value as number) | 0);
}

function validateInteger(value: unknown, name: string, min: number, max: number): void {
  if (typeof value !== 'number') throw invalidArgType(name, 'number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
}

function validateId(value: unknown, name: string): void {
  if (value === undefined || value === null) return;
  if (nodeMajor >= 26) validateInteger(value, name, -2147483648, 2147483647);
  else if (!isInt32(value)) throw invalidArgType(name, 'int32', value);
}

export function validateTimeout(timeout: unknown): void {
  if (timeout === undefined || timeout === null) return;
  if (nodeMajor >= 26) validateInteger(timeout, 'timeout', 0, Number.MAX_SAFE_INTEGER);
  else if (!(Number.isInteger(timeout) && (timeout as number) >= 0)) throw outOfRange('timeout', 'an unsigned integer', timeout);
}

export function validateMaxBuffer(maxBuffer: unknown): void {
  if (maxBuffer === undefined || maxBuffer === null) return;
  if (nodeMajor >= 26) {
    if (typeof maxBuffer !== 'number') throw invalidArgType('options.maxBuffer', 'number', maxBuffer);
    if (maxBuffer < 0 || Number.isNaN(maxBuffer)) throw outOfRange('options.maxBuffer', '>= 0', maxBuffer);
  } else if (!(typeof maxBuffer === 'number' && maxBuffer >= 0)) {
    throw outOfRange('options.maxBuffer', 'a positive number', maxBuffer);
  }
}

const signalNumbers = constants.signals as Record<string, number>;
const knownSignalNumbers = new Set(Object.values(signalNumbers));

/** Node's convertToValidSignal. */
export function convertToValidSignal(signal: unknown): number {
  if (typeof signal === 'number' && knownSignalNumbers.has(signal)) return signal;
  if (typeof signal === 'string') {
    const number = signalNumbers[signal.toUpperCase()];
    if (number) return number;
  }
  throw unknownSignal(signal);
}

/** Node's sanitizeKillSignal: undefined stays undefined. */
export function sanitizeKillSignal(killSignal: unknown): number | undefined {
  if (typeof killSignal === 'string' || typeof killSignal === 'number') return convertToValidSignal(killSignal);
  if (killSignal !== undefined && killSignal !== null) throw invalidArgType('options.killSignal', ['string', 'number'], killSignal);
  return undefined;
}

export function validateAbortSignal(signal: unknown, name: string): void {
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || !('aborted' in signal))) {
    throw invalidArgType(name, 'AbortSignal', signal);
  }
}

function isUrlLike(value: unknown): value is URL {
  const candidate = value as { href?: unknown; protocol?: unknown; auth?: unknown; path?: unknown } | null | undefined;
  return Boolean(candidate?.href && candidate.protocol && candidate.auth === undefined && candidate.path === undefined);
}

/** fs's getValidatedPath: a string, a Uint8Array, or a file: URL; no NUL bytes. */
export function getValidatedPath(value: unknown, name: string): string | Uint8Array {
  const path = isUrlLike(value) ? fileURLToPath(value) : value;
  if (typeof path !== 'string' && !(path instanceof Uint8Array)) throw invalidArgType(name, ['string', 'Buffer', 'URL'], path);
  if ((typeof path === 'string' && path.includes('\u0000')) || (path instanceof Uint8Array && path.includes(0))) {
    throw invalidArgValue(name, path, 'must be a string, Uint8Array, or URL without null bytes');
  }
  return path;
}

let warnedShellArgs = false;

function shellCommand(file: string, args: string[]): string {
  if (nodeMajor >= 24 && args.length > 0 && !warnedShellArgs) {
    process.emitWarning(
      'Passing args to a child process with shell option true can lead to security vulnerabilities, as the arguments are not escaped, only concatenated.',
      'DeprecationWarning',
      'DEP0190',
    );
    warnedShellArgs = true;
  }
  return args.length > 0 ? `${file} ${args.join(' ')}` : file;
}

function copyCoverageVariable(env: Record<string, unknown>, optionEnv: unknown): void {
  const name = 'NODE_V8_COVERAGE';
  if (process.env[name] && (!optionEnv || !Object.prototype.hasOwnProperty.call(optionEnv, name))) env[name] = process.env[name];
}

// Without options.env on the main thread, the child's environment is this process's own, which the
// native side reads from environ: an empty array of this class stands for it (what ChildProcess.prototype
// .spawn adds for IPC is appended to it, see environmentOf in plan.ts). A class, not a WeakSet of marked
// arrays: a WeakSet gives each new array an identity hash in a runtime call, 1.4 µs per spawn here.
class InheritedEnvironment extends Array<string> {}

/** The envPairs of an environment the native side takes from environ, plus what was appended to it. */
export function isInheritedEnvironment(envPairs: unknown): envPairs is string[] {
  return envPairs instanceof InheritedEnvironment;
}

/** `KEY=value` strings; keys from the prototype chain count too, as in Node. */
export function envPairsOf(optionEnv: unknown): string[] {
  if (!optionEnv && isMainThread) return new InheritedEnvironment();
  return copyEnvironment(optionEnv);
}

/** child_process's copy of options.env (or process.env) into `KEY=value` strings. */
export function copyEnvironment(optionEnv: unknown): string[] {
  const env = (optionEnv || { ...process.env }) as Record<string, unknown>;
  copyCoverageVariable(env, optionEnv);
  const pairs: string[] = [];
  for (const key in env) {
    const value = env[key];
    if (value === undefined) continue;
    nullCheck(key, `options.env['${key}']`);
    nullCheck(value, `options.env['${key}']`);
    pairs.push(`${key}=${String(value)}`);
  }
  return pairs;
}

const NormalizedFields = fieldsConstructor();

// Node unshifts argv0 onto its copy of args. V8 runs unshift in its C++ runtime: 1.3-1.8 µs per spawn here,
// its code cold after each child. For a plain array this builds the same array (holes kept) in JavaScript;
// another kind of array (a subclass: slice made one of its class) keeps Node's unshift.
function withArgv0(argv0: string, args: unknown[]): unknown[] {
  if (Object.getPrototypeOf(args) !== Array.prototype) {
    args.unshift(argv0);
    return args;
  }
  const argv: unknown[] = [argv0];
  for (let i = 0; i < args.length; i++) {
    if (i in args) argv[i + 1] = args[i];
    else argv.length = i + 2;
  }
  return argv;
}

/** child_process's normalizeSpawnArguments, on the running Node's rules. */
export function normalizeSpawnArguments(file: unknown, args: unknown, options: unknown): NormalizedOptions {
  validateString(file, 'file');
  nullCheck(file, 'file');
  if (file.length === 0) throw invalidArgValue('file', file, 'cannot be empty');
  let argList: unknown[];
  if (Array.isArray(args)) argList = args.slice();
  else if (args === undefined || args === null) argList = [];
  else if (typeof args !== 'object') throw invalidArgType('args', 'object', args);
  else {
    options = args;
    argList = [];
  }
  nullCheckEach(argList, 'args');
  if (options !== undefined) validateObject(options, 'options');
  // The own enumerable properties, as Node's `{ __proto__: null, ...options }` copies them.
  const opts = Object.assign(new NormalizedFields(), options);
  let cwd = opts.cwd;
  if (cwd !== undefined && cwd !== null) cwd = getValidatedPath(cwd, 'options.cwd');
  if (opts.detached !== undefined && opts.detached !== null) validateBoolean(opts.detached, 'options.detached');
  validateId(opts.uid, 'options.uid');
  validateId(opts.gid, 'options.gid');
  const { shell } = opts;
  if (shell !== undefined && shell !== null && typeof shell !== 'boolean' && typeof shell !== 'string') {
    throw invalidArgType('options.shell', ['boolean', 'string'], shell);
  }
  if (opts.argv0 !== undefined && opts.argv0 !== null) {
    validateString(opts.argv0, 'options.argv0');
    nullCheck(opts.argv0, 'options.argv0');
  }
  if (opts.windowsHide !== undefined && opts.windowsHide !== null) validateBoolean(opts.windowsHide, 'options.windowsHide');
  const verbatim = opts.windowsVerbatimArguments;
  if (verbatim !== undefined && verbatim !== null) validateBoolean(verbatim, 'options.windowsVerbatimArguments');
  let command = file;
  if (shell) {
    nullCheck(shell, 'options.shell');
    argList = ['-c', shellCommand(file, argList as string[])];
    command = typeof shell === 'string' ? shell : '/bin/sh';
  }
  argList = withArgv0(typeof opts.argv0 === 'string' ? opts.argv0 : command, argList);
  // Node returns { __proto__: null, ...options, args, cwd, ... }: the same keys in the same order as these
  // assignments to the copy, without copying it again (test/spawn/normalized-options.test.ts compares what
  // ChildProcess.prototype.spawn receives).
  opts.args = argList;
  opts.cwd = cwd;
  opts.detached = !!opts.detached;
  opts.envPairs = envPairsOf(opts.env);
  opts.file = command;
  opts.windowsHide = !!opts.windowsHide;
  opts.windowsVerbatimArguments = !!verbatim;
  return opts as NormalizedOptions;
}

function readRlimits(rlimits: unknown): number[] {
  if (rlimits === undefined || rlimits === null) return [];
  validateObject(rlimits, 'options.rlimits');
  const flat: number[] = [];
  for (const [resource, value] of Object.entries(rlimits)) {
    const name = `options.rlimits.${resource}`;
    const id = resourceNumber(resource, 'options.rlimits');
    if (typeof value === 'number') {
      validateLimitValue(value, name);
      flat.push(id, value, value);
      continue;
    }
    validateObject(value, name);
    const { soft, hard } = value as Partial<Rlimit>;
    if (soft !== undefined) validateLimitValue(soft, `${name}.soft`);
    if (hard !== undefined) validateLimitValue(hard, `${name}.hard`);
    const current = soft === undefined || hard === undefined ? getrlimit(resource as RlimitResource) : { soft, hard };
    flat.push(id, soft ?? current.soft, hard ?? current.hard);
  }
  return flat;
}

/** processGroup, rlimits and the supervision options, from the own-property copy. */
export function readExtras(options: Record<string, unknown>): CanforkExtras {
  if (canforkOptionsIgnored()) return { canforkSemantics: false, processGroup: false, rlimits: [], supervision: undefined };
  const { processGroup } = options;
  if (processGroup !== undefined && processGroup !== null) validateBoolean(processGroup, 'options.processGroup');
  return { canforkSemantics: true, processGroup: processGroup === true, rlimits: readRlimits(options.rlimits), supervision: readSupervision(options) };
}
