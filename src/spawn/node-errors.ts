// The errors child_process throws, built with Node's exact classes, codes and messages
// (lib/internal/errors.js formats them; the formats are restated here, not imported: they are internal).
import * as util from 'node:util';
import { addAbortSignal, Readable } from 'node:stream';

export interface NodeCodedError extends Error {
  code: string;
}

// Node's NodeError: own enumerable `code`, `toString()` giving `TypeError [CODE]: message`, and a stack
// whose first line carries the code too.
function nodeError<E extends Error>(error: E, code: string): E & NodeCodedError {
  const coded = Object.assign(error, { code });
  Object.defineProperty(coded, 'toString', {
    value(this: Error) {
      return `${this.name} [${code}]: ${this.message}`;
    },
    enumerable: false,
    writable: true,
    configurable: true,
  });
  const { name } = coded;
  coded.name = `${name} [${code}]`;
  void coded.stack; // V8 formats the stack's first line on first access
  delete (coded as { name?: string }).name;
  return coded;
}

const kTypes = new Set(['string', 'function', 'number', 'object', 'Function', 'Object', 'boolean', 'bigint', 'symbol']);
const classPattern = /^[A-Z][a-zA-Z0-9]*$/;

function formatList(items: string[], joiner: string): string {
  if (items.length <= 2) return items.join(` ${joiner} `);
  return `${items.slice(0, -1).join(', ')}, ${joiner} ${items[items.length - 1]}`;
}

/** Node's determineSpecificType: the `Received …` part of an argument error. */
export function describeReceived(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'bigint':
      return `type bigint (${value}n)`;
    case 'number':
      if (Object.is(value, -0)) return 'type number (-0)';
      return `type number (${String(value)})`;
    case 'boolean':
      return `type boolean (${String(value)})`;
    case 'symbol':
      return `type symbol (${String(value)})`;
    case 'function':
      return `function ${value.name}`;
    case 'object': {
      const name: unknown = (value as { constructor?: { name?: unknown } }).constructor?.name;
      if (typeof name === 'string' && name !== '') return `an instance of ${name}`;
      return util.inspect(value, { depth: -1 });
    }
    case 'string': {
      const shown = value.length > 28 ? `${value.slice(0, 25)}...` : value;
      return shown.includes("'") ? `type string (${JSON.stringify(shown)})` : `type string ('${shown}')`;
    }
    default:
      return `type ${typeof value} (${util.inspect(value, { colors: false })})`;
  }
}

function argumentKind(name: string): string {
  return name.includes('.') ? 'property' : 'argument';
}

/** ERR_INVALID_ARG_TYPE with Node's wording for `expected` (type names, class names, or other words). */
export function invalidArgType(name: string, expected: string | string[], actual: unknown): TypeError & NodeCodedError {
  const list = Array.isArray(expected) ? expected : [expected];
  let message = name.endsWith(' argument') ? `The ${name} must be ` : `The "${name}" ${argumentKind(name)} must be `;
  const types: string[] = [];
  const instances: string[] = [];
  const other: string[] = [];
  for (const entry of list) {
    if (kTypes.has(entry)) types.push(entry.toLowerCase());
    else if (classPattern.test(entry)) instances.push(entry);
    else other.push(entry);
  }
  if (instances.length > 0 && types.includes('object')) {
    types.splice(types.indexOf('object'), 1);
    instances.push('Object');
  }
  if (types.length > 0) {
    message += `${types.length > 1 ? 'one of type' : 'of type'} ${formatList(types, 'or')}`;
    if (instances.length > 0 || other.length > 0) message += ' or ';
  }
  if (instances.length > 0) {
    message += `an instance of ${formatList(instances, 'or')}`;
    if (other.length > 0) message += ' or ';
  }
  if (other.length > 1) message += `one of ${formatList(other, 'or')}`;
  else if (other.length === 1) message += `${other[0]?.toLowerCase() !== other[0] ? 'an ' : ''}${other[0]}`;
  message += `. Received ${describeReceived(actual)}`;
  return nodeError(new TypeError(message), 'ERR_INVALID_ARG_TYPE');
}

export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): TypeError & NodeCodedError {
  let shown = util.inspect(value);
  if (shown.length > 128) shown = `${shown.slice(0, 128)}...`;
  return nodeError(new TypeError(`The ${argumentKind(name)} '${name}' ${reason}. Received ${shown}`), 'ERR_INVALID_ARG_VALUE');
}

function withSeparators(digits: string): string {
  let result = '';
  let end = digits.length;
  const start = digits.startsWith('-') ? 1 : 0;
  for (; end >= start + 4; end -= 3) result = `_${digits.slice(end - 3, end)}${result}`;
  return `${digits.slice(0, end)}${result}`;
}

export function outOfRange(name: string, range: string, input: unknown): RangeError & NodeCodedError {
  let received: string;
  if (Number.isInteger(input) && Math.abs(input as number) > 2 ** 32) received = withSeparators(String(input));
  else if (typeof input === 'bigint') {
    received = String(input);
    if (input > 2n ** 32n || input < -(2n ** 32n)) received = withSeparators(received);
    received += 'n';
  } else received = util.inspect(input);
  return nodeError(new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${received}`), 'ERR_OUT_OF_RANGE');
}

export function unknownSignal(signal: unknown): TypeError & NodeCodedError {
  return nodeError(new TypeError(`Unknown signal: ${String(signal)}`), 'ERR_UNKNOWN_SIGNAL');
}

export function ipcRequired(name: string): Error & NodeCodedError {
  return nodeError(new Error(`Forked processes must have an IPC channel, missing value 'ipc' in ${name}`), 'ERR_CHILD_PROCESS_IPC_REQUIRED');
}

export function maxBufferExceeded(stream: 'stdout' | 'stderr'): RangeError & NodeCodedError {
  return nodeError(new RangeError(`${stream} maxBuffer length exceeded`), 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER');
}

export function ipcSyncFork(): Error & NodeCodedError {
  return nodeError(new Error('IPC cannot be used with synchronous forks'), 'ERR_IPC_SYNC_FORK');
}

/** Node's ErrnoException (`spawn /bin/x ENOENT`, errno negative), from Node itself. */
export const errnoException = (util as unknown as { _errnoException: (errnum: number, syscall: string) => NodeJS.ErrnoException })
  ._errnoException;

/** Node's genericNodeError: a plain Error carrying the given fields as own properties. */
export function genericNodeError(message: string, fields: object): Error {
  return Object.assign(new Error(message), fields);
}

// Node's AbortError class, taken from an error Node itself makes: a stream destroyed by an aborted signal.
function findAbortError(): new (message?: string, options?: { cause?: unknown }) => Error {
  const stream = new Readable({ read() {} });
  stream.on('error', () => {});
  addAbortSignal(AbortSignal.abort(), stream);
  return (stream.errored as Error).constructor as new (message?: string, options?: { cause?: unknown }) => Error;
}

export const AbortError = findAbortError();
