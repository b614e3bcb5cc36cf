// spawn(): child_process.spawn's steps, with a ChildProcess that drives canfork's process handle.
import type { ChildProcess, SpawnOptions as NodeSpawnOptions } from 'node:child_process';
import { addAbortListener } from 'node:events';
import { constants } from 'node:os';
import { createChildProcess } from './child';
import { AbortError } from './node-errors';
import {
  nodeMajor, normalizeSpawnArguments, readExtras, sanitizeKillSignal, validateAbortSignal, validateTimeout, type NormalizedOptions,
} from './normalize';
import { ProcessHandle } from './process-handle';
import type { Rlimit, RlimitResource } from '../rlimit';
import { superviseAsync, type SupervisionOptions } from './supervise';

/** What every canfork spawn function takes beside Node's options. */
export interface CanforkOptions extends SupervisionOptions {
  /** The child leads a new process group (setpgid(0, 0)); kill() and the timeout signal the whole group. */
  processGroup?: boolean;
  /** Applied in the child only, before exec. A number sets soft and hard; a missing side keeps ours. */
  rlimits?: Partial<Record<RlimitResource, number | Partial<Rlimit>>>;
}

export interface SpawnOptions extends NodeSpawnOptions, CanforkOptions {}

/** Starts the child of already-normalised options: the part spawn() and fork() share with execFile(). */
export function spawnNormalized(options: NormalizedOptions): ChildProcess {
  validateTimeout(options.timeout);
  validateAbortSignal(options.signal, 'options.signal');
  const killSignal = sanitizeKillSignal(options.killSignal);
  const extras = readExtras(options);
  const timeout = options.timeout as number | undefined;
  const timeoutMs = timeout !== undefined && timeout !== null && timeout > 0 ? timeout : 0;
  // Under register() a timeout stays child_process's plain timer: no SIGCONT after it (canfork's own
  // spawn adds one, so that a stopped child ends).
  const supervision = !extras.canforkSemantics ? undefined : superviseAsync(extras.supervision, {
    processGroup: extras.processGroup, newSession: options.detached === true, timeoutMs, killSignal: killSignal ?? constants.signals.SIGTERM,
  });
  const handle = new ProcessHandle(extras, supervision);
  const child = createChildProcess(handle);
  supervision?.prepare();
  try {
    child.spawn(options);
  } catch (error) {
    supervision?.spawnFailed();
    throw error;
  }
  const fireTimeout = (): void => {
    try {
      child.kill(killSignal);
    } catch (error) {
      child.emit('error', error);
    }
  };
  if (supervision !== undefined && handle.pid !== undefined) {
    // Supervision runs the timeout: SIGCONT after it, and a group's members after the leader's exit.
    supervision.attach(child, fireTimeout);
  } else if (timeoutMs > 0) {
    let timer: NodeJS.Timeout | null = setTimeout(() => {
      if (timer === null) return;
      fireTimeout();
      timer = null;
    }, timeoutMs);
    // Node 24 clears it on 'close' (which follows 'exit', or 'error' when the spawn failed); Node 20 on 'exit'.
    child.once(nodeMajor >= 24 ? 'close' : 'exit', () => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    });
  }
  const signal = options.signal as AbortSignal | undefined;
  if (signal) {
    const onAbort = (): void => {
      try {
        if (child.kill(killSignal)) child.emit('error', new AbortError(undefined, { cause: signal.reason }));
      } catch (error) {
        child.emit('error', error);
      }
    };
    if (signal.aborted) {
      process.nextTick(onAbort);
    } else {
      const listener = addAbortListener(signal, onAbort);
      child.once('exit', () => listener[Symbol.dispose]());
    }
  }
  return child;
}

export function spawn(command: string, options?: SpawnOptions): ChildProcess;
export function spawn(command: string, args?: readonly string[], options?: SpawnOptions): ChildProcess;
/**
 * child_process.spawn without fork: the child is started with vfork+exec (no copy of this process's page
 * tables, no overcommit charge), and the result is Node's own ChildProcess. Takes Node's options plus
 * `processGroup`, `rlimits` and the supervision options.
 */
export function spawn(command: string, args?: readonly string[] | SpawnOptions, options?: SpawnOptions): ChildProcess {
  return spawnNormalized(normalizeSpawnArguments(command, args, options));
}
