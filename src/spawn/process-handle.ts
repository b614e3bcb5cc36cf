// The process handle under Node's own ChildProcess: what Node's ProcessWrap offers
// (spawn, kill, ref, unref, hasRef, close, pid, onexit), over vfork+exec and a pidfd exit watch.
import { closeSync } from 'node:fs';
import { native } from '../binding';
import { buildPlan, stdioPlan, type HandleSpawnOptions, type PlanExtras, type StdioContainer } from './plan';
import { parentEnd, signalChild, spawnedPidfd, spawnNative, watchExit } from './native-spawn';
import { signalName } from '../signals';
import type { Supervision } from './supervise';

type OnExit = (exitCode: number | null, signalCode?: string) => void;

// Node ≥ 22 passes spawnFlags; this bit is kProcessFlagDetached (process_wrap's constants).
const FLAG_DETACHED = 1;

export class ProcessHandle {
  /** Set only once a child is running, as ProcessWrap sets it. */
  declare pid?: number;
  /** Installed by the ChildProcess this handle belongs to (see child.ts). */
  onexit: OnExit = () => {};
  /** The watch id from native watchExit; 0 before spawn and after the exit. */
  #watchId = 0;
  #referenced = true;
  #closed = false;
  readonly #extras: PlanExtras;
  readonly #supervision: Supervision | undefined;

  constructor(extras: PlanExtras, supervision: Supervision | undefined) {
    this.#extras = extras;
    this.#supervision = supervision;
  }

  /** 0, or a negative errno; ChildProcess.prototype.spawn decides which errors throw and which emit. */
  spawn(first: unknown, args?: unknown[], cwd?: unknown, envPairs?: unknown[], stdio?: StdioContainer[], flags?: number,
    uid?: number, gid?: number): number {
    // Node 20 passes the options object; newer Node passes its fields, with `detached` as a flag.
    const options: HandleSpawnOptions = typeof first === 'object' && first !== null
      ? first as HandleSpawnOptions
      : { file: first as string, args, cwd, envPairs, stdio: stdio ?? [], detached: ((flags ?? 0) & FLAG_DETACHED) !== 0, uid, gid };
    const plannedStdio = stdioPlan(options.stdio);
    if (typeof plannedStdio === 'number') return plannedStdio;
    const plan = buildPlan(options, plannedStdio, this.#extras);
    this.#supervision?.beforeSpawn(plan);
    const pid = spawnNative(plan);
    if (pid < 0) {
      this.#supervision?.spawnFailed();
      openPipes(options.stdio);
      return pid;
    }
    const watchId = watchExit(pid, spawnedPidfd(), (errnum, kind, value) => this.#exited(errnum, kind, value));
    if (watchId < 0) {
      // The exit could not be watched: the native side killed and reaps the child; the spawn failed.
      for (let fd = 0; fd < options.stdio.length; fd++) {
        const end = parentEnd(fd);
        if (end >= 0) closeSync(end);
      }
      this.#supervision?.spawnFailed();
      return watchId;
    }
    this.pid = pid;
    this.#watchId = watchId;
    if (!this.#referenced) native.setExitWatchRef(this.#watchId, false);
    openPipes(options.stdio);
    this.#supervision?.afterSpawn(this);
    return 0;
  }

  #exited(errnum: number, kind: number, value: number): void {
    this.#watchId = 0;
    this.#supervision?.onExit(this);
    if (this.#closed) return;
    if (errnum !== 0) {
      // Someone else reaped it (waitpid on our pid): the status is lost. libuv would never report it;
      // we report (null, null) rather than keep the loop alive for good.
      this.onexit(null, '');
    } else if (kind === native.constants.WAIT_SIGNALED) {
      // Node's signo_string: '' for signals it has no name for, and then it reports exit code 0.
      this.onexit(0, signalName(value) ?? '');
    } else {
      this.onexit(value, '');
    }
  }

  /** True while the child runs and has not been reaped. */
  get running(): boolean {
    return this.#watchId !== 0;
  }

  /** @internal For the supervision seam. */
  get watchId(): number {
    return this.#watchId;
  }

  /** @internal */
  get processGroup(): boolean {
    return this.#extras.processGroup;
  }

  /** 0 or a negative errno (ESRCH once it has exited), as uv_process_kill. */
  kill(signal: number): number {
    const supervised = this.#supervision?.kill(this, signal);
    if (supervised !== undefined) return supervised;
    if (this.pid === undefined || this.#watchId === 0) return -3; // UV_ESRCH
    if (this.#extras.processGroup) return signalGroup(this.pid, signal);
    return signalChild(this.#watchId, signal);
  }

  ref(): void {
    this.#referenced = true;
    if (this.#watchId !== 0) native.setExitWatchRef(this.#watchId, true);
  }

  unref(): void {
    this.#referenced = false;
    if (this.#watchId !== 0) native.setExitWatchRef(this.#watchId, false);
  }

  hasRef(): boolean {
    return this.#referenced && this.#watchId !== 0;
  }

  /** The exit is no longer reported; a running child is still reaped when it ends (no zombie). */
  close(callback?: () => void): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#watchId !== 0) native.setExitWatchRef(this.#watchId, false);
    if (typeof callback === 'function') setImmediate(callback);
  }
}

// The last spawn's parent ends go into the Pipe handles Node made for the streams (libuv's
// uv__process_open_stream), also when exec failed: the streams then read EOF, as with child_process.
function openPipes(stdio: readonly StdioContainer[]): void {
  for (let fd = 0; fd < stdio.length; fd++) {
    const end = parentEnd(fd);
    if (end >= 0) stdio[fd]?.handle?.open?.(end);
  }
}

function signalGroup(pgid: number, signal: number): number {
  try {
    process.kill(-pgid, signal);
    return 0;
  } catch (error) {
    return (error as NodeJS.ErrnoException).errno ?? -3;
  }
}
