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

// Where the addon writes the pidfd and the parent pipe ends of each spawn; grown for a longer stdio.
let spawnSlots = new Int32Array(8);

/** Spawns with keepPipesOnExecError: after a failed exec the parent pipe ends come back, still open. */
export function spawnNative(plan: NativeSpawnPlan): NativeChild | NativeFailure {
  plan.keepPipesOnExecError = true;
  const count = plan.stdio.length;
  if (spawnSlots.length < count + 1) spawnSlots = new Int32Array(count + 1);
  const result = native.spawn(plan, spawnSlots);
  const fds = new Array<number>(count);
  for (let fd = 0; fd < count; fd++) fds[fd] = spawnSlots[fd + 1] ?? -1;
  if (result < 0) return { errno: result, fds };
  return { pid: result, pidfd: spawnSlots[0] ?? -1, fds };
}

/** Watches the pidfd on this thread's loop; reaps exactly `pid`; calls back once (err 0 or negative). */
export function watchExit(pid: number, pidfd: number, onExit: (err: number, ...status: NativeWaitStatus) => void): number {
  return native.watchExit(pid, pidfd, onExit);
}

/** Signals the child of watch `id` through its pidfd: 0, or a negative errno (ESRCH once reaped). */
export function signalChild(id: number, signal: number): number {
  return native.signalWatched(id, signal);
}
