// The native spawn door as the process handle needs it (src/binding.ts states the contract: 0 or a
// negative errno everywhere).
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

/** Spawns with keepPipesOnExecError: after a failed exec the parent pipe ends come back, still open. */
export function spawnNative(plan: NativeSpawnPlan): NativeChild | NativeFailure {
  plan.keepPipesOnExecError = true;
  const result = native.spawn(plan as NativeSpawnPlan & { keepPipesOnExecError: true });
  if (typeof result === 'number') return { errno: result, fds: noFds };
  if ('error' in result) return { errno: result.error, fds: result.fds };
  return result;
}

/** Watches the pidfd on this thread's loop; reaps exactly `pid`; calls back once (err 0 or negative). */
export function watchExit(pid: number, pidfd: number, onExit: (err: number, ...status: NativeWaitStatus) => void): number {
  return native.watchExit(pid, pidfd, onExit);
}

/** Signals the child of watch `id` through its pidfd: 0, or a negative errno (ESRCH once reaped). */
export function signalChild(id: number, signal: number): number {
  return native.signalWatched(id, signal);
}
