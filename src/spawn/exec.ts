// exec() and execFile(): child_process's buffering, maxBuffer, timeout, killSignal and error objects,
// over canfork's spawn. Follows lib/child_process.js of the running Node.
import type { ChildProcess, ExecException, ExecFileOptions as NodeExecFileOptions, ExecOptions as NodeExecOptions } from 'node:child_process';
import { getSystemErrorName, promisify } from 'node:util';
import { genericNodeError, maxBufferExceeded } from './node-errors';
import {
  nodeMajor, nullCheck, sanitizeKillSignal, validateFunction, validateMaxBuffer, validateObject, validateString, validateTimeout,
} from './normalize';
import { spawn, type CanforkOptions } from './spawn';

export interface ExecOptions extends NodeExecOptions, CanforkOptions {}
export interface ExecFileOptions extends NodeExecFileOptions, CanforkOptions {}

type Output = string | Buffer;
type ExecCallback = (error: ExecException | null, stdout: Output, stderr: Output) => void;

const MAX_BUFFER = 1024 * 1024;
// Options execFile hands on to spawn: Node's list, plus canfork's own.
const CANFORK_KEYS = ['processGroup', 'rlimits', 'forceKillAfterDelay', 'cgroup', 'killOnParentExit'] as const;

/** child_process's normalizeExecArgs. */
export function normalizeExecArgs(command: unknown, options: unknown, callback: unknown): {
  file: string; options: Record<string, unknown>; callback: unknown;
} {
  validateString(command, 'command');
  nullCheck(command, 'command');
  if (typeof options === 'function') {
    callback = options;
    options = undefined;
  }
  const copy: Record<string, unknown> = { __proto__: null, ...(options as object | undefined) };
  copy.shell = typeof copy.shell === 'string' ? copy.shell : true;
  return { file: command, options: copy, callback };
}

/** child_process's normalizeExecFileArgs. */
export function normalizeExecFileArgs(file: unknown, args: unknown, options: unknown, callback: unknown): {
  file: unknown; args: unknown[]; options: Record<string, unknown>; callback: ExecCallback | undefined;
} {
  let argList: unknown[] | null = null;
  if (Array.isArray(args)) argList = args.slice();
  else if (args !== undefined && args !== null && typeof args === 'object') {
    callback = options;
    options = args;
  } else if (typeof args === 'function') {
    callback = args;
    options = null;
  }
  if (typeof options === 'function') callback = options;
  else if (options !== undefined && options !== null) validateObject(options, 'options');
  const opts = (options === undefined || options === null || typeof options === 'function' ? {} : options) as Record<string, unknown>;
  if (callback !== undefined && callback !== null) validateFunction(callback, 'callback');
  if (opts.argv0 !== undefined && opts.argv0 !== null) {
    validateString(opts.argv0, 'options.argv0');
    nullCheck(opts.argv0, 'options.argv0');
  }
  return { file, args: argList ?? [], options: opts, callback: (callback ?? undefined) as ExecCallback | undefined };
}

interface Collector {
  chunks: (string | Buffer)[];
  length: number;
}

export function execFile(file: string, callback?: ExecCallback): ChildProcess;
export function execFile(file: string, argsOrOptions: readonly string[] | ExecFileOptions | null | undefined, callback?: ExecCallback): ChildProcess;
export function execFile(file: string, args: readonly string[] | null | undefined, options: ExecFileOptions | null | undefined,
  callback?: ExecCallback): ChildProcess;
/** child_process.execFile without fork. */
export function execFile(file: unknown, args?: unknown, options?: unknown, callback?: unknown): ChildProcess {
  const normalized = normalizeExecFileArgs(file, args, options, callback);
  const argList = normalized.args;
  const done = normalized.callback;
  const opts: Record<string, unknown> = {
    __proto__: null, encoding: 'utf8', timeout: 0, maxBuffer: MAX_BUFFER, killSignal: 'SIGTERM', cwd: null, env: null, shell: false,
    ...normalized.options,
  };
  validateTimeout(opts.timeout);
  validateMaxBuffer(opts.maxBuffer);
  const killSignal = sanitizeKillSignal(opts.killSignal);
  const spawnOptions: Record<string, unknown> = {
    cwd: opts.cwd, env: opts.env, gid: opts.gid, shell: opts.shell, signal: opts.signal, uid: opts.uid,
    windowsHide: !!opts.windowsHide, windowsVerbatimArguments: !!opts.windowsVerbatimArguments,
  };
  for (const key of CANFORK_KEYS) if (opts[key] !== undefined) spawnOptions[key] = opts[key];
  const child = spawn(normalized.file as string, argList as string[], spawnOptions);
  const maxBuffer = opts.maxBuffer as number;
  const encoding = opts.encoding !== 'buffer' && Buffer.isEncoding(opts.encoding as string) ? opts.encoding as BufferEncoding : null;
  const stdout: Collector = { chunks: [], length: 0 };
  const stderr: Collector = { chunks: [], length: 0 };
  let killed = false;
  let exited = false;
  let timer: NodeJS.Timeout | null = null;
  let ex: (Error & Record<string, unknown>) | null = null;
  let cmd = normalized.file as string;

  const merge = (collector: Collector, stream: ChildProcess['stdout']): Output =>
    encoding || stream?.readableEncoding ? collector.chunks.join('') : Buffer.concat(collector.chunks as Buffer[]);

  function exithandler(code?: number | null, signal?: NodeJS.Signals | null): void {
    if (exited) return;
    exited = true;
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (!done) return;
    const out = merge(stdout, child.stdout);
    const err = merge(stderr, child.stderr);
    if (!ex && code === 0 && signal === null) {
      done(null, out, err);
      return;
    }
    if (argList.length) cmd += ` ${argList.join(' ')}`;
    ex ||= genericNodeError(`Command failed: ${cmd}\n${String(err)}`, {
      code: code !== undefined && code !== null && code < 0 ? getSystemErrorName(code) : code,
      killed: child.killed || killed,
      signal,
    }) as Error & Record<string, unknown>;
    ex.cmd = cmd;
    done(ex as ExecException, out, err);
  }

  function errorhandler(error: Error): void {
    ex = error as Error & Record<string, unknown>;
    child.stdout?.destroy();
    child.stderr?.destroy();
    exithandler();
  }

  function kill(): void {
    child.stdout?.destroy();
    child.stderr?.destroy();
    killed = true;
    try {
      child.kill(killSignal);
    } catch (error) {
      ex = error as Error & Record<string, unknown>;
      exithandler();
    }
  }

  if ((opts.timeout as number) > 0) {
    timer = setTimeout(() => {
      kill();
      timer = null;
    }, opts.timeout as number);
  }

  const collect = (stream: NonNullable<ChildProcess['stdout']>, collector: Collector, name: 'stdout' | 'stderr'): void => {
    if (encoding) stream.setEncoding(encoding);
    stream.on('data', (chunk: string | Buffer) => {
      if (maxBuffer === Infinity) {
        collector.chunks.push(chunk);
        return;
      }
      const streamEncoding = stream.readableEncoding;
      const length = streamEncoding ? Buffer.byteLength(chunk, streamEncoding) : chunk.length;
      collector.length += length;
      if (collector.length > maxBuffer) {
        const keep = maxBuffer - (collector.length - length);
        collector.chunks.push(chunk.slice(0, keep));
        ex = maxBufferExceeded(name) as unknown as Error & Record<string, unknown>;
        kill();
      } else {
        collector.chunks.push(chunk);
      }
    });
  };
  if (child.stdout) collect(child.stdout, stdout, 'stdout');
  if (child.stderr) collect(child.stderr, stderr, 'stderr');
  child.addListener('close', exithandler);
  child.addListener('error', errorhandler);
  return child;
}

export function exec(command: string, callback?: ExecCallback): ChildProcess;
export function exec(command: string, options: ExecOptions | null | undefined, callback?: ExecCallback): ChildProcess;
/** child_process.exec without fork: `/bin/sh -c command` (or options.shell), buffered. */
export function exec(command: unknown, options?: unknown, callback?: unknown): ChildProcess {
  const normalized = normalizeExecArgs(command, options, callback);
  return execFile(normalized.file, normalized.options as ExecFileOptions, normalized.callback as ExecCallback | undefined);
}

// util.promisify(exec/execFile) resolves { stdout, stderr } and carries the child on the promise.
function promised(original: (...args: never[]) => ChildProcess): (...args: unknown[]) => Promise<{ stdout: Output; stderr: Output }> {
  const wrapper = function (...args: unknown[]) {
    let resolve!: (value: { stdout: Output; stderr: Output }) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<{ stdout: Output; stderr: Output }>((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    }) as Promise<{ stdout: Output; stderr: Output }> & { child?: ChildProcess };
    // Called outside the executor: bad arguments throw here, as in Node, instead of rejecting.
    promise.child = (original as (...a: unknown[]) => ChildProcess)(...args,
      (error: (Error & Record<string, unknown>) | null, stdout: Output, stderr: Output) => {
        if (error !== null) {
          error.stdout = stdout;
          error.stderr = stderr;
          reject(error);
        } else {
          resolve({ stdout, stderr });
        }
      });
    return promise;
  };
  if (nodeMajor >= 24) Object.defineProperty(wrapper, 'name', { value: original.name });
  else Object.defineProperty(wrapper, 'name', { value: '' });
  return wrapper;
}

for (const fn of [exec, execFile]) {
  Object.defineProperty(fn, promisify.custom, { enumerable: false, value: promised(fn as (...args: never[]) => ChildProcess) });
}
