// spawnSync, execSync, execFileSync: child_process's argument rules and result shapes over the native
// blocking loop (vfork+exec, then poll on the pipes and the pidfd).
import type {
  ExecFileSyncOptions as NodeExecFileSyncOptions, ExecSyncOptions as NodeExecSyncOptions,
  SpawnSyncOptions as NodeSpawnSyncOptions, SpawnSyncReturns,
} from 'node:child_process';
import { native, type NativeSpawnPlan, type NativeSpawnSyncResult } from '../binding';
import { normalizeExecArgs, normalizeExecFileArgs } from './exec';
import { stdioStringToArray } from './fork';
import { errnoException, genericNodeError, invalidArgType, invalidArgValue, ipcSyncFork } from './node-errors';
import {
  nodeMajor, normalizeSpawnArguments, readExtras, sanitizeKillSignal, validateMaxBuffer, validateTimeout, type NormalizedOptions,
} from './normalize';
import { buildPlan, STDIO_IGNORE, STDIO_PIPE } from './plan';
import { signalName } from '../signals';
import type { CanforkOptions } from './spawn';
import { superviseSync } from './supervise';

export interface SpawnSyncOptions extends NodeSpawnSyncOptions, CanforkOptions {
  /** A new session (setsid), as for spawn; child_process accepts it here too. */
  detached?: boolean;
}
export interface ExecSyncOptions extends NodeExecSyncOptions, CanforkOptions {}
export interface ExecFileSyncOptions extends NodeExecFileSyncOptions, CanforkOptions {}
type WithEncoding<T> = T & { encoding: BufferEncoding };
export type { SpawnSyncReturns };

const MAX_BUFFER = 1024 * 1024;
const { WAIT_SIGNALED } = native.constants;
const WRAP_TYPES = new Set(['Pipe', 'TTY', 'TCP', 'UDP']);

type NativeSyncResult = Exclude<NativeSpawnSyncResult, number>;

function wrappedFd(value: unknown): number | undefined {
  for (const candidate of [value, (value as { handle?: unknown })?.handle, (value as { _handle?: unknown })?._handle]) {
    const name = (candidate as { constructor?: { name?: string } } | null | undefined)?.constructor?.name;
    if (name !== undefined && WRAP_TYPES.has(name)) return (candidate as { fd: number }).fd;
  }
  return undefined;
}

/** getValidStdio(stdio, true) as native stdio numbers: no handles in the sync case. */
export function syncStdio(stdio: unknown): number[] {
  const entries = typeof stdio === 'string' ? stdioStringToArray(stdio) : stdio;
  if (!Array.isArray(entries)) throw invalidArgValue('stdio', stdio);
  while (entries.length < 3) entries.push(undefined);
  const plan: number[] = [];
  entries.forEach((entry: unknown, index) => {
    if (entry === null || entry === undefined) entry = index < 3 ? 'pipe' : 'ignore';
    if (entry === 'ignore') plan.push(STDIO_IGNORE);
    else if (entry === 'pipe' || entry === 'overlapped' || (typeof entry === 'number' && entry < 0)) plan.push(STDIO_PIPE);
    else if (entry === 'ipc') throw ipcSyncFork();
    else if (entry === 'inherit') plan.push(index);
    else if (typeof entry === 'number') plan.push(entry);
    else if (typeof (entry as { fd?: unknown }).fd === 'number') plan.push((entry as { fd: number }).fd);
    else {
      const fd = wrappedFd(entry);
      if (fd !== undefined) plan.push(fd);
      // Node skips Buffers and strings here in the sync case (they are input only through options.input).
      else if (!(ArrayBuffer.isView(entry) || typeof entry === 'string')) throw invalidArgValue('stdio', entry);
    }
  });
  return plan;
}

function inputBuffer(input: unknown, encoding: unknown): Buffer | null {
  if (input === undefined || input === null) return null;
  if (ArrayBuffer.isView(input)) return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (typeof input === 'string') return Buffer.from(input, encoding as BufferEncoding);
  throw invalidArgType('options.stdio[0]', ['Buffer', 'TypedArray', 'DataView', 'string'], input);
}

function runNative(plan: NativeSpawnPlan, input: Buffer | null, options: NormalizedOptions, killSignal: number,
  processGroup: boolean, supervisionArgs: number[]): NativeSyncResult | number {
  const timeout = typeof options.timeout === 'number' && options.timeout > 0 ? options.timeout : 0;
  const [forceKillAfterMs, cgroupKillFd] = supervisionArgs;
  // An explicit maxBuffer of undefined or null overrides the 1 MiB default and means no limit (Node's binding).
  const maxBuffer = (options.maxBuffer ?? Infinity) as number;
  return native.spawnSync(plan, input, timeout, killSignal, processGroup, maxBuffer, forceKillAfterMs, cgroupKillFd);
}

function syncResult(native: NativeSyncResult | number, options: NormalizedOptions): SpawnSyncReturns<Buffer | string> {
  const result: Record<string, unknown> = {};
  let errnum: number;
  if (typeof native === 'number') {
    errnum = native;
    Object.assign(result, { error: errnum, status: null, signal: null, output: null, pid: 0 });
  } else {
    errnum = native.error;
    const [kind, value] = native.status;
    if (errnum !== 0) result.error = errnum;
    const signaled = kind === WAIT_SIGNALED;
    result.status = signaled ? null : value;
    result.signal = signaled ? signalName(value) ?? '' : null;
    result.output = native.output;
    result.pid = native.pid;
  }
  const output = result.output as (Buffer | string | null)[] | null;
  const { encoding } = options;
  if (output && encoding && encoding !== 'buffer') {
    for (let index = 0; index < output.length; index++) {
      const item = output[index];
      if (item) output[index] = (item as Buffer).toString(encoding as BufferEncoding);
    }
  }
  // Node 24 reads them with ?. (undefined without output), Node 20 with && (null).
  result.stdout = nodeMajor >= 24 ? output?.[1] : output && output[1];
  result.stderr = nodeMajor >= 24 ? output?.[2] : output && output[2];
  if (errnum !== 0) {
    const error = errnoException(errnum, `spawnSync ${options.file}`) as NodeJS.ErrnoException & { spawnargs: string[] };
    error.path = options.file;
    error.spawnargs = options.args.slice(1);
    result.error = error;
  }
  return result as unknown as SpawnSyncReturns<Buffer | string>;
}

export function spawnSync(command: string, options: WithEncoding<SpawnSyncOptions>): SpawnSyncReturns<string>;
export function spawnSync(command: string, args: readonly string[], options: WithEncoding<SpawnSyncOptions>): SpawnSyncReturns<string>;
export function spawnSync(command: string, options?: SpawnSyncOptions): SpawnSyncReturns<Buffer>;
export function spawnSync(command: string, args?: readonly string[], options?: SpawnSyncOptions): SpawnSyncReturns<Buffer>;
/** child_process.spawnSync without fork: the same result object, errors, maxBuffer (ENOBUFS), timeout (ETIMEDOUT). */
export function spawnSync(command: string, args?: readonly string[] | SpawnSyncOptions, options?: SpawnSyncOptions): SpawnSyncReturns<Buffer | string> {
  // Node copies the normalized options behind a default maxBuffer; an own maxBuffer, even undefined, wins.
  const opts = normalizeSpawnArguments(command, args, options);
  if (!('maxBuffer' in opts)) opts.maxBuffer = MAX_BUFFER;
  validateTimeout(opts.timeout);
  validateMaxBuffer(opts.maxBuffer);
  const killSignal = sanitizeKillSignal(opts.killSignal) ?? 15;
  opts.killSignal = killSignal;
  const stdio = syncStdio(opts.stdio || 'pipe');
  // Checked whatever stdio[0] is, as Node does; written only into a pipe.
  const input = opts.input ? inputBuffer(opts.input, opts.encoding) : null;
  const extras = readExtras(opts);
  const plan = buildPlan(opts, stdio, extras);
  const supervision = superviseSync(extras.supervision, killSignal);
  supervision?.beforeSpawn(plan);
  try {
    const supervisionArgs = supervision === undefined ? [] : [supervision.forceKillAfterMs, supervision.cgroupKillFd];
    const ran = runNative(plan, stdio[0] === STDIO_PIPE ? input : null, opts, killSignal, extras.processGroup, supervisionArgs);
    // The loop returns at the leader's exit: members of its group that ignored the kill signal are force-killed here.
    if (typeof ran !== 'number' && ran.error !== 0 && extras.processGroup) supervision?.forceKillGroup(ran.pid, opts.detached !== true);
    return syncResult(ran, opts);
  } finally {
    supervision?.release();
  }
}

function checkExecSyncError(ret: SpawnSyncReturns<Buffer | string>, args: unknown[] | undefined, cmd?: string): Error | undefined {
  if (ret.error) return Object.assign(ret.error, ret);
  if (ret.status !== 0) {
    let message = `Command failed: ${cmd || (args ?? []).join(' ')}`;
    if (ret.stderr && ret.stderr.length > 0) message += `\n${ret.stderr.toString()}`;
    return genericNodeError(message, ret);
  }
  return undefined;
}

export function execFileSync(file: string, options: WithEncoding<ExecFileSyncOptions>): string;
export function execFileSync(file: string, args: readonly string[], options: WithEncoding<ExecFileSyncOptions>): string;
export function execFileSync(file: string, options?: ExecFileSyncOptions): Buffer;
export function execFileSync(file: string, args?: readonly string[], options?: ExecFileSyncOptions): Buffer;
/** child_process.execFileSync without fork: throws Node's error (status, signal, output, stdout, stderr). */
export function execFileSync(file: unknown, args?: unknown, options?: unknown): Buffer | string {
  const normalized = normalizeExecFileArgs(file, args, options, undefined);
  const inheritStderr = !normalized.options.stdio;
  const ret: SpawnSyncReturns<Buffer | string> = spawnSync(normalized.file as string, normalized.args as string[], normalized.options as SpawnSyncOptions);
  if (inheritStderr && ret.stderr) process.stderr.write(ret.stderr);
  const error = checkExecSyncError(ret, [normalized.options.argv0 || normalized.file, ...normalized.args]);
  if (error) throw error;
  return ret.stdout;
}

export function execSync(command: string, options: WithEncoding<ExecSyncOptions>): string;
export function execSync(command: string, options?: ExecSyncOptions): Buffer;
/** child_process.execSync without fork: `/bin/sh -c command`. */
export function execSync(command: string, options?: ExecSyncOptions): Buffer | string {
  const normalized = normalizeExecArgs(command, options, null);
  const inheritStderr = !normalized.options.stdio;
  const ret: SpawnSyncReturns<Buffer | string> = spawnSync(normalized.file, normalized.options as SpawnSyncOptions);
  if (inheritStderr && ret.stderr) process.stderr.write(ret.stderr);
  const error = checkExecSyncError(ret, undefined, command);
  if (error) throw error;
  return ret.stdout;
}
