// The supervision options every canfork spawn function takes, checked with Node's error codes.
import { invalidArgType, outOfRange } from '../errors';

export interface SupervisionOptions {
  /**
   * After the kill signal (from kill() or the timeout), SIGKILL the same target (the child, its process
   * group, or its cgroup) when it is still there this many ms later. Default false: never.
   */
  forceKillAfterDelay?: number | false;
  /**
   * Start the child in a new cgroup of its own (v2 under this process's cgroup, else v1 freezer/pids), so
   * that every descendant stays in it; kill(), the timeout and the child's end reach all of them, and the
   * cgroup is removed afterwards. Throws at spawn time where this process may not create cgroups.
   */
  cgroup?: boolean;
  /**
   * PR_SET_PDEATHSIG(SIGKILL) in the child: the kernel kills it when the *thread* that spawned it exits
   * (a worker thread's end counts), or this process dies, even by SIGKILL.
   */
  killOnParentExit?: boolean;
}

export interface NormalizedSupervision {
  /** -1: no force kill. */
  forceKillAfterMs: number;
  cgroup: boolean;
  killOnParentExit: boolean;
}

/** No supervision option set. */
export const UNSUPERVISED: Readonly<NormalizedSupervision> = Object.freeze({ forceKillAfterMs: -1, cgroup: false, killOnParentExit: false });

function optionalFlag(value: unknown, name: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

export function normalizeSupervision(options: SupervisionOptions): NormalizedSupervision {
  const delay = options.forceKillAfterDelay;
  let forceKillAfterMs = -1;
  if (delay !== undefined && delay !== null && delay !== false) {
    if (typeof delay !== 'number') throw invalidArgType('options.forceKillAfterDelay', 'of type number or false', delay);
    // The range setTimeout keeps exactly (a larger delay would fire at once, with a warning).
    if (!Number.isInteger(delay) || delay < 0 || delay > 2 ** 31 - 1) {
      throw outOfRange('options.forceKillAfterDelay', 'an integer >= 0 and < 2 ** 31', delay);
    }
    forceKillAfterMs = delay;
  }
  return {
    forceKillAfterMs,
    cgroup: optionalFlag(options.cgroup, 'options.cgroup'),
    killOnParentExit: optionalFlag(options.killOnParentExit, 'options.killOnParentExit'),
  };
}
