// The one seam for supervision (forceKillAfterDelay, cgroup, killOnParentExit): every spawn function
// reads these options here, and the process handle and spawnSync call back into what this returns.
import type { NativeSpawnPlan } from '../binding';
import { invalidArgType, invalidArgValue } from './node-errors';
import type { ProcessHandle } from './process-handle';

export interface SupervisionOptions {
  /** After the kill signal (kill() or the timeout), SIGKILL to the same target if still running this many ms later. */
  forceKillAfterDelay?: number | false;
  /** Start the child in a cgroup of its own, killed as a whole. */
  cgroup?: boolean;
  /** PR_SET_PDEATHSIG(SIGKILL) in the child: it dies with the thread that spawned it. */
  killOnParentExit?: boolean;
}

/** Hooks for one async child. Every method may be a no-op. */
export interface Supervision {
  /** Before the clone: may set plan fields (pdeathsig, cgroupFd). */
  beforeSpawn(plan: NativeSpawnPlan): void;
  /** After a successful spawn (handle.pid is set). */
  afterSpawn(handle: ProcessHandle): void;
  /** Replaces the handle's kill when it returns a number (0 or a negative errno). */
  kill(handle: ProcessHandle, signal: number): number | undefined;
  /** Once the child has been reaped (also when its exit is no longer reported). */
  onExit(handle: ProcessHandle): void;
}

/** For spawnSync: the native loop's trailing supervision arguments, and what to release afterwards. */
export interface SyncSupervision {
  beforeSpawn(plan: NativeSpawnPlan): void;
  forceKillAfterMs: number;
  cgroupKillFd: number;
  release(): void;
}

export interface SupervisionPlan {
  forceKillAfterDelay: number | false;
  cgroup: boolean;
  killOnParentExit: boolean;
}

/** Reads the supervision options from the (own-property) options copy; undefined when none is set. */
export function readSupervision(options: Record<string, unknown>): SupervisionPlan | undefined {
  const { forceKillAfterDelay, cgroup, killOnParentExit } = options;
  if (forceKillAfterDelay === undefined && cgroup === undefined && killOnParentExit === undefined) return undefined;
  if (forceKillAfterDelay !== undefined && forceKillAfterDelay !== false && typeof forceKillAfterDelay !== 'number') {
    throw invalidArgType('options.forceKillAfterDelay', ['number', 'false'], forceKillAfterDelay);
  }
  if (cgroup !== undefined && typeof cgroup !== 'boolean') throw invalidArgType('options.cgroup', 'boolean', cgroup);
  if (killOnParentExit !== undefined && typeof killOnParentExit !== 'boolean') {
    throw invalidArgType('options.killOnParentExit', 'boolean', killOnParentExit);
  }
  return {
    forceKillAfterDelay: forceKillAfterDelay ?? false,
    cgroup: cgroup === true,
    killOnParentExit: killOnParentExit === true,
  };
}

function unsupported(plan: SupervisionPlan): never {
  const name = plan.cgroup ? 'cgroup' : plan.killOnParentExit ? 'killOnParentExit' : 'forceKillAfterDelay';
  const value = plan[name as keyof SupervisionPlan];
  throw invalidArgValue(`options.${name}`, value, 'is not supported yet');
}

function isInactive(plan: SupervisionPlan): boolean {
  return plan.forceKillAfterDelay === false && !plan.cgroup && !plan.killOnParentExit;
}

/** Hooks for an async child, or undefined when no supervision was asked for. */
export function superviseAsync(plan: SupervisionPlan | undefined): Supervision | undefined {
  if (plan === undefined || isInactive(plan)) return undefined;
  return unsupported(plan);
}

/** The native spawnSync arguments for this plan. */
export function superviseSync(plan: SupervisionPlan | undefined): SyncSupervision | undefined {
  if (plan === undefined || isInactive(plan)) return undefined;
  return unsupported(plan);
}
