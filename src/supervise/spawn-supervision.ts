// What the spawn functions call: one object per child that adds the supervision options to the native
// plan, places the child in its cgroup, and answers kill() and the timeout for the child, its group or its
// cgroup. The spawn code stays ignorant of groups and cgroups; it calls these hooks at fixed points.
import { constants } from 'node:os';
import { SupervisedCgroup, sleepSync } from './cgroup';
import { locateV1Site, locateV2Site, type CgroupSite } from './cgroup-site';
import type { NormalizedSupervision } from './options';
import { readStat } from './proc';
import { TrackedGroup } from './process-group';
import { Supervisor, type SignalOutcome } from './supervisor';
import { errnoName, systemError } from '../errors';

/** The plan fields supervision sets (native/plan.cc): PR_SET_PDEATHSIG and CLONE_INTO_CGROUP. */
export interface SupervisedPlanFields {
  pdeathsig?: number;
  cgroupFd?: number;
}

/** What the spawn knows that supervision needs. */
export interface SpawnContext {
  processGroup: boolean;
  /** setsid in the child (detached): the group's session is then the child's own. */
  newSession: boolean;
  /** 0: none. */
  timeoutMs: number;
  killSignal: number;
}

/** 0 or a negative errno, as the process handle's kill and libuv's uv_process_kill return. */
export type KillResult = number;

const ESRCH = -constants.errno.ESRCH;

function toKillResult(outcome: SignalOutcome): KillResult {
  if (outcome === 'ok') return 0;
  if (outcome === 'gone') return ESRCH;
  return -(constants.errno[outcome as keyof typeof constants.errno] ?? constants.errno.EPERM);
}

/** This process's session id (/proc/self/stat field 6). */
export function ownSession(): number {
  const own = readStat(process.pid);
  // Only a stat this process cannot parse of itself gives null: say so rather than act on a wrong group.
  if (own === null) throw new Error(`cannot read the session of this process from /proc/${process.pid}/stat`);
  return own.session;
}

let v2Usable = false;
/** Lets the spawn code say whether its native layer can clone into a v2 cgroup (CLONE_INTO_CGROUP). */
export function setCgroupV2Support(supported: boolean): void {
  v2Usable = supported;
}

/**
 * Where `cgroup: true` puts a child: v2 (when the native layer clones into cgroups), else v1 freezer, else
 * v1 pids. Throws a system error naming every reason when there is nowhere.
 */
export function chooseCgroupSite(): CgroupSite {
  const reasons: string[] = [];
  const v2 = locateV2Site();
  if (typeof v2 === 'string') reasons.push(v2);
  else if (v2Usable) return v2;
  else reasons.push('cgroup v2: this build cannot clone into a cgroup (CLONE_INTO_CGROUP)');
  for (const controller of ['freezer', 'pids'] as const) {
    const v1 = locateV1Site(controller);
    if (typeof v1 !== 'string') return v1;
    reasons.push(v1);
  }
  const error = systemError(constants.errno.ENOTSUP, 'spawn');
  error.message = `cgroup: true: no cgroup hierarchy to use: ${reasons.join('; ')}`;
  throw error;
}

/** Supervision of one asynchronous child. */
export class SpawnSupervision {
  readonly options: NormalizedSupervision;
  readonly #context: SpawnContext;
  #cgroup: SupervisedCgroup | null = null;
  #supervisor: Supervisor | null = null;
  #inTimeout = false;

  constructor(options: NormalizedSupervision, context: SpawnContext) {
    this.options = options;
    this.#context = context;
  }

  /** Before any spawn work: the child's cgroup, which may throw (nothing is started or left then). */
  prepare(): void {
    if (this.options.cgroup && this.#cgroup === null) this.#cgroup = SupervisedCgroup.create(chooseCgroupSite());
  }

  /** Right before the clone: PR_SET_PDEATHSIG, and the cgroup to start in. */
  beforeSpawn(plan: SupervisedPlanFields): void {
    if (this.options.killOnParentExit) plan.pdeathsig = constants.signals.SIGKILL;
    this.prepare();
    if (this.#cgroup === null) return;
    if (this.#cgroup.version === 2) plan.cgroupFd = this.#cgroup.directoryFd;
    else this.#cgroup.enterThread();
  }

  /** Whether kill() can still reach something after the child's exit (a process group's members). */
  get reachesAfterExit(): boolean {
    return this.#context.processGroup && !this.options.cgroup;
  }

  /** Right after the clone, whether it succeeded or not: the calling thread leaves a v1 cgroup. */
  #afterClone(): void {
    this.#cgroup?.leaveThread();
    this.#cgroup?.releaseSpawnFds();
  }

  /** The spawn failed (nothing runs): the cgroup goes. */
  spawnFailed(): void {
    this.#afterClone();
    this.#cgroup?.destroySync();
    this.#cgroup = null;
  }

  /** The child runs. `signalChild` signals exactly it (0 or a negative errno), safe against pid reuse. */
  afterSpawn(pid: number, signalChild: (signal: number) => number): void {
    this.#afterClone();
    const { processGroup, newSession, killSignal } = this.#context;
    const group = processGroup || newSession ? new TrackedGroup(pid, newSession ? pid : ownSession()) : null;
    this.#supervisor = new Supervisor({
      pid,
      signalChild: (signal) => {
        const result = signalChild(signal);
        return result === 0 ? 'ok' : result === ESRCH ? 'gone' : errnoName(-result);
      },
      // A detached child leads a group too, but only processGroup makes the group the target (as before).
      group: processGroup ? group : null,
      cgroup: this.#cgroup,
      forceKillAfterMs: this.options.forceKillAfterMs,
      killSignal,
    });
  }

  /** kill() while the child runs: 0 or a negative errno. */
  kill(signal: number): KillResult {
    if (this.#supervisor === null) return ESRCH;
    return toKillResult(this.#inTimeout ? this.#supervisor.timeoutKill(signal) : this.#supervisor.kill(signal));
  }

  /** kill() after the child's exit: a group's members or nothing (a cgroup ended with the child). */
  killAfterExit(signal: number): boolean {
    return this.#supervisor?.kill(signal) === 'ok';
  }

  /**
   * Runs the spawn's timeout: `fire` is what the spawn does on timeout (ChildProcess.kill(killSignal) with
   * its error handling), called so that kill() knows it is the timeout. After the child's exit, a group's
   * members still get the signal at the deadline.
   */
  startTimeout(fire: () => void): void {
    this.#supervisor?.startTimeout(this.#context.timeoutMs, (childRunning) => {
      if (!childRunning) return false;
      this.#inTimeout = true;
      try {
        fire();
      } finally {
        this.#inTimeout = false;
      }
      return true;
    });
  }

  /** The child has been reaped. */
  onExit(): void {
    this.#supervisor?.childExited();
  }
}

/**
 * The supervision for one async spawn, or undefined when nothing asks for it (no supervision option, no
 * processGroup, no timeout): then the spawn behaves exactly as child_process.
 */
export function superviseSpawn(normalized: Readonly<NormalizedSupervision>, context: SpawnContext): SpawnSupervision | undefined {
  const active = normalized.cgroup || normalized.killOnParentExit || normalized.forceKillAfterMs >= 0 || context.processGroup
    || context.timeoutMs > 0;
  return active ? new SpawnSupervision(normalized, context) : undefined;
}

/** Supervision of one spawnSync: the native loop's extra arguments, and the cgroup's end after the run. */
export class SyncSpawnSupervision {
  readonly options: NormalizedSupervision;
  readonly #killSignal: number;
  #cgroup: SupervisedCgroup | null = null;

  constructor(options: NormalizedSupervision, killSignal: number) {
    this.options = options;
    this.#killSignal = killSignal;
  }

  /** As SpawnSupervision.beforeSpawn; on v2 also opens cgroup.kill for the native loop. */
  beforeSpawn(plan: SupervisedPlanFields): void {
    if (this.options.killOnParentExit) plan.pdeathsig = constants.signals.SIGKILL;
    if (!this.options.cgroup) return;
    this.#cgroup = SupervisedCgroup.create(chooseCgroupSite());
    try {
      if (this.#cgroup.version === 2) {
        plan.cgroupFd = this.#cgroup.directoryFd;
      } else {
        this.#cgroup.enterThread();
      }
    } catch (error) {
      this.release();
      throw error;
    }
  }

  /** -1: none. The native loop sends SIGKILL to the same target this long after the kill signal. */
  get forceKillAfterMs(): number {
    return this.options.forceKillAfterMs;
  }

  /**
   * -1: none. The native loop writes "1" here instead of signalling, at the timeout and the force kill. Only
   * when the kill signal is SIGKILL anyway: otherwise the child gets the kill signal, as without a cgroup (and
   * the result says so), and the rest of the cgroup is killed once the loop returns (release()).
   */
  get cgroupKillFd(): number {
    if (this.#cgroup?.version !== 2 || this.#killSignal !== constants.signals.SIGKILL) return -1;
    return this.#cgroup.killFd();
  }

  /**
   * After a run whose child got the kill signal (timeout or maxBuffer), as a process group leader: the loop
   * returns at the leader's exit, so the force kill of members that ignore the signal happens here, waiting
   * (at most forceKillAfterMs) for them to end first.
   */
  forceKillGroup(pgid: number, session: number): void {
    if (this.options.forceKillAfterMs < 0 || this.options.cgroup) return;
    const group = new TrackedGroup(pgid, session);
    group.leaderReaped();
    const end = Date.now() + this.options.forceKillAfterMs;
    while (group.hasMembers()) {
      if (Date.now() >= end) {
        group.signal(constants.signals.SIGKILL);
        return;
      }
      sleepSync(Math.min(10, Math.max(1, end - Date.now())));
    }
  }

  /** After the run (or a failed spawn): every process left in the cgroup is killed and the cgroup removed. */
  release(): void {
    if (this.#cgroup === null) return;
    this.#cgroup.leaveThread();
    this.#cgroup.releaseSpawnFds();
    this.#cgroup.destroySync();
  }
}

/** The supervision for one spawnSync, or undefined when no supervision option is set. */
export function superviseSpawnSync(normalized: Readonly<NormalizedSupervision>, killSignal: number): SyncSpawnSupervision | undefined {
  const active = normalized.cgroup || normalized.killOnParentExit || normalized.forceKillAfterMs >= 0;
  return active ? new SyncSpawnSupervision(normalized, killSignal) : undefined;
}
