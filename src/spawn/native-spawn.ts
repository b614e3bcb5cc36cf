// The native spawn door as the process handle needs it (src/binding.ts states the contract: 0 or a
// negative errno everywhere).
import { native, type NativeSpawnPlan, type NativeWaitStatus } from '../binding';

// Where the addon writes the pidfd (0) and the parent pipe ends (1 + fd) of each spawn; grown for a longer stdio.
let spawnSlots = new Int32Array(8);

/**
 * Spawns with keepPipesOnExecError: the pid, or a negative errno. Until the next spawn, spawnedPidfd() and
 * parentEnd() read what it left: after a failed exec the parent pipe ends are still open, the caller's.
 */
export function spawnNative(plan: NativeSpawnPlan): number {
  plan.keepPipesOnExecError = true;
  if (spawnSlots.length < plan.stdio.length + 1) spawnSlots = new Int32Array(plan.stdio.length + 1);
  return native.spawn(plan, spawnSlots);
}

/** The pidfd of the last successful spawnNative. */
export function spawnedPidfd(): number {
  return spawnSlots[0] ?? -1;
}

/** The parent's end of the pipe the last spawnNative made for the child's `fd`, or -1. */
export function parentEnd(fd: number): number {
  return spawnSlots[fd + 1] ?? -1;
}

/** Watches the pidfd on this thread's loop; reaps exactly `pid`; calls back once (err 0 or negative). */
export function watchExit(pid: number, pidfd: number, onExit: (err: number, ...status: NativeWaitStatus) => void): number {
  return native.watchExit(pid, pidfd, onExit);
}

/** Signals the child of watch `id` through its pidfd: 0, or a negative errno (ESRCH once reaped). */
export function signalChild(id: number, signal: number): number {
  return native.signalWatched(id, signal);
}
