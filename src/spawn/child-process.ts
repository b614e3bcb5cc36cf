// spawn(): a ChildProcess-shaped EventEmitter over the native vfork+exec and the pidfd exit watcher,
// following lib/internal/child_process.js for events, their order, and which errors throw or emit.
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { constants } from 'node:os';
import { native, type NativeWaitStatus } from '../binding';
import { invalidArgType, systemError, type SystemError } from '../errors';
import { normalizeSpawn, STDIO_PIPE, type CommonSpawnOptions } from './options';
import { signalName, signalNumber } from './signals';

export interface SpawnOptions extends CommonSpawnOptions {
  /** Aborting kills the child with killSignal and emits an AbortError. */
  signal?: AbortSignal;
}

/** A spawn error as child_process emits it: `spawn <cmd> ENOENT`, with path and spawnargs. */
export interface SpawnError extends SystemError {
  spawnargs: string[];
}

// child_process emits these as 'error'; any other spawn failure throws (ChildProcess.prototype.spawn).
const EMITTED_ERRNOS = new Set(['EACCES', 'EAGAIN', 'EMFILE', 'ENFILE', 'ENOENT'].map((code) => constants.errno[code as keyof typeof constants.errno]));

/** @internal child_process's ErrnoException for spawn: message `spawn <cmd> CODE`, no path in it. */
export function spawnError(errnum: number, syscall: string, file: string, spawnargs: string[]): SpawnError {
  const error = systemError(errnum, syscall) as SpawnError;
  error.path = file;
  error.spawnargs = spawnargs.slice(1);
  return error;
}

function abortError(cause: unknown): Error {
  return Object.assign(new Error('The operation was aborted', { cause }), { name: 'AbortError', code: 'ABORT_ERR' });
}

function failedStream(index: number): Readable | Writable {
  if (index === 0) return new Writable({ write: (_chunk, _encoding, done) => done() }).destroy();
  const stream = new Readable({ read() {} });
  stream.push(null);
  return stream;
}

/** The process spawn() started: ChildProcess's fields, methods and events. */
export class SpawnedProcess extends EventEmitter {
  pid: number | undefined = undefined;
  stdin: Writable | null = null;
  stdout: Readable | null = null;
  stderr: Readable | null = null;
  readonly stdio: (Readable | Writable | null)[] = [];
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  killed = false;
  readonly connected = false;
  readonly spawnfile: string;
  readonly spawnargs: string[];
  readonly #processGroup: boolean;
  #watchId = 0;
  #exited = false;
  #closesNeeded = 1;
  #closesGot = 0;

  /** @internal Use {@link spawn}. */
  constructor(file: string, spawnargs: string[], processGroup: boolean) {
    super();
    this.spawnfile = file;
    this.spawnargs = spawnargs;
    this.#processGroup = processGroup;
  }

  /** @internal */
  start(result: { pid: number; pidfd: number; fds: number[] }): void {
    this.pid = result.pid;
    // Watch first: whatever happens below, the child is reaped.
    this.#watchId = native.watchExit(result.pid, result.pidfd, (errnum, ...status) => this.#onExit(errnum, status));
    result.fds.forEach((fd, index) => {
      if (fd < 0) {
        this.stdio.push(null);
        return;
      }
      const socket = new Socket({ fd, readable: index > 0 });
      this.stdio.push(socket);
      if (index > 0) {
        this.#closesNeeded++;
        socket.on('close', () => this.#maybeClose());
      }
    });
    this.#assignStdio();
    process.nextTick(() => this.emit('spawn'));
  }

  /** @internal A spawn that failed in a way child_process reports with 'error' then 'close'. */
  fail(error: SpawnError, stdio: number[]): void {
    stdio.forEach((spec, index) => this.stdio.push(spec === STDIO_PIPE ? failedStream(index) : null));
    this.#assignStdio();
    this.exitCode = error.errno;
    this.#exited = true;
    process.nextTick(() => {
      this.emit('error', error);
      this.#maybeClose();
    });
  }

  #assignStdio(): void {
    this.stdin = (this.stdio[0] as Writable | undefined) ?? null;
    this.stdout = (this.stdio[1] as Readable | undefined) ?? null;
    this.stderr = (this.stdio[2] as Readable | undefined) ?? null;
  }

  #onExit(errnum: number, [kind, value]: NativeWaitStatus): void {
    this.#exited = true;
    if (errnum === 0 && kind === native.constants.WAIT_EXITED) this.exitCode = value;
    if (errnum === 0 && kind === native.constants.WAIT_SIGNALED) this.signalCode = signalName(value);
    this.stdin?.destroy();
    this.emit('exit', this.exitCode, this.signalCode);
    // As child_process: streams nobody reads are drained on the next tick so that 'close' can come.
    process.nextTick(() => {
      for (const stream of this.stdio) {
        if (stream instanceof Readable && stream.readable && !stream.readableFlowing && stream.listenerCount('readable') === 0) {
          stream.resume();
        }
      }
    });
    this.#maybeClose();
  }

  #maybeClose(): void {
    if (++this.#closesGot === this.#closesNeeded) this.emit('close', this.exitCode, this.signalCode);
  }

  /**
   * Sends `signal` (default SIGTERM) to the child, or to its whole process group with `processGroup`.
   * False once the child has exited or when it is already gone.
   * @throws TypeError ERR_UNKNOWN_SIGNAL.
   */
  kill(signal: NodeJS.Signals | number = 'SIGTERM'): boolean {
    const number = signal === 0 ? 0 : signalNumber(signal);
    if (this.#exited || this.pid === undefined) return false;
    try {
      // Until our exit watcher reaps it the pid cannot be recycled, and reaping happens on this thread.
      process.kill(this.#processGroup ? -this.pid : this.pid, number);
    } catch (error) {
      if ((error as SystemError).code === 'ESRCH') return false;
      if (['EINVAL', 'ENOSYS'].includes((error as SystemError).code)) throw error;
      this.emit('error', error);
      return false;
    }
    this.killed = true;
    return true;
  }

  /** Lets the event loop keep running for this child again (the default). */
  ref(): void {
    if (!this.#exited) native.setExitWatchRef(this.#watchId, true);
  }

  /** Stops this child from keeping the event loop alive; its exit is still delivered if the loop runs. */
  unref(): void {
    if (!this.#exited) native.setExitWatchRef(this.#watchId, false);
  }
}

function watchTimeout(child: SpawnedProcess, timeoutMs: number, killSignal: number): void {
  if (timeoutMs <= 0) return;
  const timer = setTimeout(() => {
    try {
      child.kill(killSignal);
    } catch (error) {
      child.emit('error', error);
    }
  }, timeoutMs);
  child.once('exit', () => clearTimeout(timer));
}

function watchAbort(child: SpawnedProcess, signal: AbortSignal | undefined, killSignal: number): void {
  if (signal === undefined) return;
  const onAbort = (): void => {
    try {
      if (child.kill(killSignal)) child.emit('error', abortError(signal.reason));
    } catch (error) {
      child.emit('error', error);
    }
  };
  if (signal.aborted) {
    process.nextTick(onAbort);
    return;
  }
  signal.addEventListener('abort', onAbort, { once: true });
  child.once('exit', () => signal.removeEventListener('abort', onAbort));
}

/**
 * Starts `command` with vfork+exec, never fork: no copy of this process's memory, no overcommit check.
 * A drop-in for child_process.spawn without shell and ipc, plus `processGroup` and `rlimits`.
 * @throws TypeError ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE (NUL bytes, bad stdio), RangeError
 *   ERR_OUT_OF_RANGE, TypeError ERR_UNKNOWN_SIGNAL; system error `spawn CODE` for failures
 *   child_process also throws for (EPERM from uid/gid, EINVAL, ENOMEM...).
 *   ENOENT, EACCES, EAGAIN, EMFILE, ENFILE are emitted as 'error' (`syscall: 'spawn <cmd>'`).
 */
export function spawn(command: string, args?: readonly string[] | SpawnOptions, options?: SpawnOptions): SpawnedProcess {
  if (args !== undefined && args !== null && !Array.isArray(args) && typeof args === 'object') {
    options = args as SpawnOptions;
    args = undefined;
  }
  const normalized = normalizeSpawn(command, args, options);
  const signal = options?.signal;
  const child = new SpawnedProcess(normalized.file, normalized.spawnargs, normalized.processGroup);
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || !('aborted' in signal))) {
    throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
  }
  const result = native.spawn(normalized.plan);
  if (typeof result === 'number') {
    if (!EMITTED_ERRNOS.has(-result)) throw systemError(-result, 'spawn');
    child.fail(spawnError(-result, `spawn ${normalized.file}`, normalized.file, normalized.spawnargs), normalized.plan.stdio);
    return child;
  }
  child.start(result);
  watchTimeout(child, normalized.timeoutMs, normalized.killSignal);
  watchAbort(child, signal, normalized.killSignal);
  return child;
}
