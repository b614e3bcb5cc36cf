// The native spawn door in one errno shape: 0 or a NEGATIVE errno, as libuv and Node's handles use.
// Accepts both the `{ errno }` (positive) results of the first native layer and bare negative numbers.
import { native, type NativeSpawnPlan, type NativeWaitStatus } from '../binding';

export interface NativeChild {
  pid: number;
  pidfd: number;
  /** Per child fd: the parent's end of a socketpair, else -1. */
  fds: number[];
}

/** A failed spawn: a negative errno, and the parent ends of pipes that stay open when exec failed. */
export interface NativeFailure {
  errno: number;
  fds: number[];
}

const noFds: number[] = [];

export function spawnNative(plan: NativeSpawnPlan): NativeChild | NativeFailure {
  const result = native.spawn(plan) as unknown as NativeChild | { errno: number; fds?: number[] } | number;
  if (typeof result === 'number') return { errno: result, fds: noFds };
  if ('errno' in result) return { errno: -Math.abs(result.errno), fds: result.fds ?? noFds };
  return result;
}

type ExitCallback = (errnum: number, ...status: NativeWaitStatus) => void;

/** Watches the pidfd on this thread's loop; reaps exactly `pid`; calls back once with a negative or 0 errno. */
export function watchExit(pid: number, pidfd: number, onExit: ExitCallback): number {
  return native.watchExit(pid, pidfd, (errnum, kind, value, coreDumped) => onExit(-Math.abs(errnum), kind, value, coreDumped));
}

interface SignalDoor {
  signalWatched?: (id: number, signal: number) => number;
}

/**
 * Signals the child of watch `id` (0 or a negative errno). Through its pidfd where the native layer offers
 * it; else by pid, which is safe only while the watch has not reaped it (the caller checks).
 */
export function signalChild(id: number, pid: number, signal: number): number {
  const door = native as unknown as SignalDoor;
  if (typeof door.signalWatched === 'function') return door.signalWatched(id, signal);
  return killPid(pid, signal);
}

/** kill(2) as 0 or a negative errno. */
export function killPid(pid: number, signal: number): number {
  try {
    process.kill(pid, signal);
    return 0;
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).errno;
    if (typeof errno === 'number') return errno;
    throw error;
  }
}
