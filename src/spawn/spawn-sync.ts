// spawnSync(): the native blocking loop, returned in child_process.spawnSync's shape.
import { native } from '../binding';
import { invalidArgType, invalidArgValue, outOfRange } from '../errors';
import { toWaitStatus } from '../wait';
import { spawnError, type SpawnError } from './child-process';
import { normalizeSpawn, STDIO_PIPE, type CommonSpawnOptions } from './options';

export interface SpawnSyncOptions extends CommonSpawnOptions {
  /** Written to the child's stdin (when it is a pipe), which is then closed. Strings as utf8 (or `encoding`). */
  input?: string | NodeJS.ArrayBufferView;
  /** Bytes on one output before the child is killed with killSignal and error ENOBUFS. Default 1 MiB. */
  maxBuffer?: number;
  /** Decode outputs; 'buffer' (the default) keeps Buffers. */
  encoding?: BufferEncoding | 'buffer';
}

export interface SpawnSyncReturns<T> {
  pid: number;
  output: (T | null)[] | null;
  stdout: T | null;
  stderr: T | null;
  status: number | null;
  signal: NodeJS.Signals | null;
  error?: SpawnError;
}

function inputBuffer(input: unknown, encoding: BufferEncoding): Buffer | null {
  if (input === undefined || input === null) return null;
  if (typeof input === 'string') return Buffer.from(input, encoding);
  if (ArrayBuffer.isView(input)) return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  throw invalidArgType('options.input', 'of type string or an instance of Buffer, TypedArray, or DataView', input);
}

function maxBufferBytes(value: unknown): number {
  if (value === undefined) return 1024 * 1024;
  if (typeof value !== 'number') throw invalidArgType('options.maxBuffer', 'of type number', value);
  if (Number.isNaN(value) || value < 0) throw outOfRange('options.maxBuffer', 'a positive number', value);
  return value;
}

export function spawnSync(command: string, args: readonly string[], options: SpawnSyncOptions & { encoding: BufferEncoding }): SpawnSyncReturns<string>;
export function spawnSync(command: string, options: SpawnSyncOptions & { encoding: BufferEncoding }): SpawnSyncReturns<string>;
export function spawnSync(command: string, args?: readonly string[] | SpawnSyncOptions, options?: SpawnSyncOptions): SpawnSyncReturns<Buffer>;
/**
 * Runs `command` to completion with vfork+exec, blocking the thread, like child_process.spawnSync.
 * Never throws for what happens at run time: a missing program, a timeout (ETIMEDOUT) or too much
 * output (ENOBUFS) come back as `error` (`syscall: 'spawnSync <cmd>'`).
 * @throws TypeError ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE, RangeError ERR_OUT_OF_RANGE.
 */
export function spawnSync(
  command: string, args?: readonly string[] | SpawnSyncOptions, options?: SpawnSyncOptions,
): SpawnSyncReturns<Buffer | string> {
  if (args !== undefined && args !== null && !Array.isArray(args) && typeof args === 'object') {
    options = args as SpawnSyncOptions;
    args = undefined;
  }
  const normalized = normalizeSpawn(command, args, options);
  const encoding = options?.encoding ?? 'buffer';
  if (encoding !== 'buffer' && !Buffer.isEncoding(encoding)) throw invalidArgValue('options.encoding', encoding, 'is invalid encoding');
  const input = normalized.plan.stdio[0] === STDIO_PIPE ? inputBuffer(options?.input, encoding === 'buffer' ? 'utf8' : encoding) : null;
  const result = native.spawnSync(
    normalized.plan, input, normalized.timeoutMs, normalized.killSignal, normalized.processGroup, maxBufferBytes(options?.maxBuffer),
  );
  const fail = (errnum: number): SpawnError => spawnError(errnum, `spawnSync ${normalized.file}`, normalized.file, normalized.spawnargs);
  if (typeof result === 'number') {
    return { error: fail(-result), status: null, signal: null, output: null, pid: 0, stdout: null, stderr: null };
  }
  const status = toWaitStatus(result.pid, result.status);
  const output = encoding === 'buffer' ? result.output : result.output.map((buffer) => buffer?.toString(encoding) ?? null);
  const returns: SpawnSyncReturns<Buffer | string> = {
    pid: result.pid,
    output,
    stdout: output[1] ?? null,
    stderr: output[2] ?? null,
    status: status.kind === 'exited' ? status.exitCode : null,
    signal: status.kind === 'signaled' && typeof status.signal === 'string' ? status.signal : null,
  };
  if (result.error !== 0) returns.error = fail(-result.error);
  return returns;
}
