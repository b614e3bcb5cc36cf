// The one seam for supervision (forceKillAfterDelay, cgroup, killOnParentExit, and processGroup's and the
// timeout's follow-through): every spawn function reads these options here, and the process handle and
// spawnSync call back into what this returns. The work is done in src/supervise/.
import type { ChildProcess } from 'node:child_process';
import { native, type NativeSpawnPlan } from '../binding';
import {
  normalizeSupervision, ownSession, setCgroupV2Support, superviseSpawn, superviseSpawnSync, UNSUPERVISED,
  type NormalizedSupervision, type SpawnContext, type SupervisedPlanFields, type SupervisionOptions,
} from '../supervise/index';
import { signalChild } from './native-spawn';
import type { ProcessHandle } from './process-handle';
import { signalNumber } from '../signals';

export type { SupervisionOptions } from '../supervise/index';

// The native layer with native.constants also takes plan.cgroupFd (clone3 with CLONE_INTO_CGROUP).
setCgroupV2Support('constants' in native);

/** Hooks for one async child. */
export interface Supervision {
  /** Before ChildProcess.prototype.spawn: makes what may fail (the cgroup), so nothing is half set up. */
  prepare(): void;
  /** Right before the clone: may set plan fields (pdeathsig, cgroupFd). */
  beforeSpawn(plan: NativeSpawnPlan): void;
  /** The spawn failed, at the clone or before it: undo prepare(). */
  spawnFailed(): void;
  /** After a successful spawn (handle.pid is set). */
  afterSpawn(handle: ProcessHandle): void;
  /** Replaces the handle's kill: 0 or a negative errno. */
  kill(handle: ProcessHandle, signal: number): number | undefined;
  /** Once the child has been reaped (also when its exit is no longer reported). */
  onExit(handle: ProcessHandle): void;
  /** After a successful spawn: runs the timeout (`fire` is the spawn's own timeout kill) and lets kill() reach a group after the leader's exit. */
  attach(child: ChildProcess, fire: () => void): void;
}

/** For spawnSync: the native loop's trailing supervision arguments, and what to release afterwards. */
export interface SyncSupervision {
  beforeSpawn(plan: NativeSpawnPlan): void;
  forceKillAfterMs: number;
  cgroupKillFd: number;
  /** The run ended after the kill signal was sent to the group `pgid` (of this process's session or its own). */
  forceKillGroup(pgid: number, ownSessionGroup: boolean): void;
  release(): void;
}

export type SupervisionPlan = Readonly<NormalizedSupervision>;

/**
 * The supervision options of the (own-property) options copy, checked and normalized here, at option time
 * as Node checks its own; undefined when none is set.
 */
export function readSupervision(options: Record<string, unknown>): SupervisionPlan | undefined {
  const { forceKillAfterDelay, cgroup, killOnParentExit } = options as SupervisionOptions;
  if (forceKillAfterDelay === undefined && cgroup === undefined && killOnParentExit === undefined) return undefined;
  return normalizeSupervision({ forceKillAfterDelay, cgroup, killOnParentExit });
}

/**
 * Hooks for an async child, or undefined when nothing asks for them (no supervision option, no
 * processGroup, no timeout): the child then behaves exactly as child_process's.
 */
export function superviseAsync(plan: SupervisionPlan | undefined, context: SpawnContext): Supervision | undefined {
  const supervision = superviseSpawn(plan ?? UNSUPERVISED, context);
  if (supervision === undefined) return undefined;
  return {
    prepare: () => supervision.prepare(),
    beforeSpawn: (nativePlan) => supervision.beforeSpawn(nativePlan as NativeSpawnPlan & SupervisedPlanFields),
    spawnFailed: () => supervision.spawnFailed(),
    afterSpawn: (handle) => {
      const pid = handle.pid as number;
      // Through the watch's pidfd: never a recycled pid (-ESRCH once reaped).
      supervision.afterSpawn(pid, (signal) => signalChild(handle.watchId, signal));
    },
    kill: (_handle, signal) => supervision.kill(signal),
    onExit: () => supervision.onExit(),
    attach: (child, fire) => {
      supervision.startTimeout(fire);
      if (!supervision.reachesAfterExit) return;
      // ChildProcess.prototype.kill stops at a null _handle (after 'exit'): a group or cgroup may live on.
      const prototypeKill = child.kill;
      Object.defineProperty(child, 'kill', {
        configurable: true,
        writable: true,
        enumerable: false,
        value: function kill(this: ChildProcess, signal?: NodeJS.Signals | number): boolean {
          if ((this as unknown as { _handle: unknown })._handle) return prototypeKill.call(this, signal);
          const number = signal === 0 ? 0 : signalNumber(signal ?? 'SIGTERM');
          if (!supervision.killAfterExit(number)) return false;
          (this as { killed: boolean }).killed = true;
          return true;
        },
      });
    },
  };
}

/** The native spawnSync arguments for this plan, or undefined when no supervision option is set. */
export function superviseSync(plan: SupervisionPlan | undefined, killSignal: number): SyncSupervision | undefined {
  const supervision = superviseSpawnSync(plan ?? UNSUPERVISED, killSignal);
  if (supervision === undefined) return undefined;
  return {
    beforeSpawn: (nativePlan) => supervision.beforeSpawn(nativePlan as NativeSpawnPlan & SupervisedPlanFields),
    get forceKillAfterMs() {
      return supervision.forceKillAfterMs;
    },
    get cgroupKillFd() {
      return supervision.cgroupKillFd;
    },
    forceKillGroup: (pgid, ownSessionGroup) => supervision.forceKillGroup(pgid, ownSessionGroup ? ownSession() : pgid),
    release: () => supervision.release(),
  };
}
