// Errors shaped like Node's own: ERR_* codes on TypeError/RangeError, and system errors with
// code, negative errno, syscall and path, so callers can handle canfork's errors as they handle fs's.
import { getSystemErrorMap } from 'node:util';
import { inspect } from 'node:util';
import { constants as osConstants } from 'node:os';

/** A failed system call, as Node reports one: `err.code === 'ENOMEM'`, `err.errno === -12`. */
export interface SystemError extends Error {
  code: string;
  /** Negative, as in Node (`-12` for ENOMEM). */
  errno: number;
  syscall: string;
  path?: string;
}

/** A TypeError or RangeError carrying one of Node's `ERR_*` codes. */
export interface CodedError extends Error {
  code: string;
}

// errno number → name from os.constants.errno, for the few that libuv's map lacks (ECHILD among them).
const errnoNamesByNumber = new Map(Object.entries(osConstants.errno).map(([name, number]) => [number, name]));

/** `'ENOMEM'` for 12. libuv's names first (what Node itself uses), then the OS's; `E<n>` if neither knows it. */
export function errnoName(errnum: number): string {
  return getSystemErrorMap().get(-errnum)?.[0] ?? errnoNamesByNumber.get(errnum) ?? `E${errnum}`;
}

/**
 * Builds a Node-style system error from a positive errno (native results carry negative ones: see
 * `nativeError`). The message reads like Node's
 * `errnoException`: `mmap ENOMEM`, `spawn /usr/bin/git ENOENT`, `open EACCES /proc/1/smaps`.
 */
export function systemError(errnum: number, syscall: string, path?: string): SystemError {
  const code = errnoName(errnum);
  const error = new Error(`${syscall} ${code}${path === undefined ? '' : ` ${path}`}`) as SystemError;
  error.errno = -errnum;
  error.code = code;
  error.syscall = syscall;
  if (path !== undefined) error.path = path;
  // The stack should start at the caller, not in this factory.
  Error.captureStackTrace(error, systemError);
  return error;
}

/**
 * The one door from the native error contract (src/binding.ts NativeErrno): a negative errno number
 * becomes the Node-style system error that `systemError` builds.
 */
export function nativeError(negativeErrno: number, syscall: string, path?: string): SystemError {
  const error = systemError(-negativeErrno, syscall, path);
  Error.captureStackTrace(error, nativeError);
  return error;
}

/** Throws `nativeError` when a native call answered with a negative errno; returns 0-or-more results as they are. */
export function throwIfErrno<T>(result: T | number, syscall: string, path?: string): T {
  if (typeof result === 'number' && result < 0) {
    const error = systemError(-result, syscall, path);
    Error.captureStackTrace(error, throwIfErrno);
    throw error;
  }
  return result as T;
}

function coded<E extends Error>(error: E, code: string): E & CodedError {
  return Object.assign(error, { code });
}

// Node's `Received …` tail (lib/internal/errors.js determineSpecificType).
function describeReceived(value: unknown): string {
  if (value === null || value === undefined) return `Received ${String(value)}`;
  if (typeof value === 'function') return `Received function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name ? `Received an instance of ${name}` : `Received ${inspect(value, { depth: -1 })}`;
  }
  const shown = inspect(value, { colors: false }).slice(0, 28);
  return `Received type ${typeof value} (${shown})`;
}

export function invalidArgType(name: string, expected: string, actual: unknown): TypeError & CodedError {
  return coded(
    new TypeError(`The "${name}" argument must be ${expected}. ${describeReceived(actual)}`),
    'ERR_INVALID_ARG_TYPE',
  );
}

export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): TypeError & CodedError {
  const shown = inspect(value, { colors: false, depth: 1 }).slice(0, 128);
  return coded(new TypeError(`The argument '${name}' ${reason}. Received ${shown}`), 'ERR_INVALID_ARG_VALUE');
}

/** What Node throws for `new` on a class only it may construct (e.g. `new ChildProcess` internals). */
export function illegalConstructor(hint: string): TypeError & CodedError {
  return coded(new TypeError(`Illegal constructor: ${hint}`), 'ERR_ILLEGAL_CONSTRUCTOR');
}

export function outOfRange(name: string, range: string, received: unknown): RangeError & CodedError {
  const shown = typeof received === 'number' && Number.isFinite(received) ? String(received) : inspect(received);
  return coded(
    new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${shown}`),
    'ERR_OUT_OF_RANGE',
  );
}
