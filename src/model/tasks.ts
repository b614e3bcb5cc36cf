// The EAGAIN side of fork: copy_process() (kernel/fork.c) refuses a new task for RLIMIT_NPROC, threads-max,
// a full pid space (alloc_pid) or a pids cgroup at its max (pids_can_fork). Pure functions; no I/O.
import { AT_RISK_SHARE } from './memory';
import { estimatedPidLevel, judgePidLevels, RESERVED_PIDS } from './pid-namespaces';
import type { CgroupPidsLevel, ForkReason, ForkWarning, NprocReport, PidNamespaceLevel, TaskHolders, TasksReport } from './report';

export { RESERVED_PIDS } from './pid-namespaces';

export const CAP_SYS_ADMIN = 21;
export const CAP_SYS_RESOURCE = 24;

export interface TasksInput {
  realUid: number;
  capEff: bigint;
  nprocSoft: number;
  nprocHard: number;
  /** Tasks (threads) of the real uid, or null when not counted (then nr_threads bounds it). */
  uidTasks: number | null;
  /** nr_threads: every task on the machine (loadavg field 4). */
  machineTasks: number;
  threadsMax: number;
  pidMax: number;
  /**
   * Pid numbers in use from RESERVED_PIDS to pid_max − 1: every task's id, process group and session. Absent or
   * null when not counted (then nr_threads estimates it; it may undercount the group and session ids that
   * outlive their leaders).
   */
  pidsInUse?: number | null;
  /**
   * Every level of the pid namespace chain, counted (see countPidLevels). When present it replaces `pidMax` and
   * `pidsInUse`, which then only describe level 0.
   */
  pidLevels?: [PidNamespaceLevel, ...PidNamespaceLevel[]];
  /** Who holds the most tasks, when the census was taken. */
  holders?: TaskHolders | null;
  cgroup: { version: 1 | 2; path: string; levels: CgroupPidsLevel[] } | null;
}

export interface TasksDecision {
  report: TasksReport;
  reasons: ForkReason[];
  warnings: ForkWarning[];
  nearLimit: boolean;
  /** A pid namespace level whose free pids cannot be known could make the fork fail. */
  unknown: boolean;
  /** The pid namespace level whose numbers decided, and those that could not be decided. */
  pidDeciding: PidNamespaceLevel;
  pidUndecided: PidNamespaceLevel[];
  /** The warnings about those levels, for a task trial that settles them. */
  pidUndecidedWarnings: ForkWarning[];
  /**
   * A limit counted over the machine or a pid namespace (RLIMIT_NPROC, threads-max, pid_max) decides or is
   * near: then the tasks' holders are worth naming. A full pids cgroup alone is not (its holders are its
   * own members, not the machine's).
   */
  holdersMatter: boolean;
}

export function hasCapability(capEff: bigint, capability: number): boolean {
  return ((capEff >> BigInt(capability)) & 1n) === 1n;
}

/** Why RLIMIT_NPROC does not apply to this task: real uid 0 (INIT_USER) or the capabilities copy_process checks. */
export function nprocExemption(realUid: number, capEff: bigint): NprocReport['exempt'] {
  if (realUid === 0) return 'root';
  if (hasCapability(capEff, CAP_SYS_RESOURCE)) return 'CAP_SYS_RESOURCE';
  if (hasCapability(capEff, CAP_SYS_ADMIN)) return 'CAP_SYS_ADMIN';
  return null;
}

/**
 * Whether the uid's tasks must be counted: only when the limit applies and even the machine's whole task
 * count would come within 10 % of it. Otherwise nr_threads settles it without reading every status file.
 */
export function uidTasksNeeded(input: Omit<TasksInput, 'uidTasks'>): boolean {
  if (nprocExemption(input.realUid, input.capEff) !== null || input.nprocSoft === Infinity) return false;
  return input.nprocSoft - input.machineTasks < AT_RISK_SHARE * input.nprocSoft + 1;
}

/** Allocatable pids under kernel.pid_max: RESERVED_PIDS .. pid_max − 1 (at least one: pid_max is ≥ 301). */
export function pidRange(pidMax: number): number {
  return Math.max(1, pidMax - RESERVED_PIDS);
}

/** Whether the pids in use must be counted: only when even nr_threads comes within 10 % of the allocatable range. */
export function pidsInUseNeeded(input: Pick<TasksInput, 'machineTasks' | 'pidMax'>): boolean {
  const range = pidRange(input.pidMax);
  return range - input.machineTasks < AT_RISK_SHARE * range + 1;
}

interface Check {
  /** Tasks there would be after the fork, compared with `limit`: the fork fails iff after > limit. */
  after: number;
  limit: number;
  reason: Omit<ForkReason, 'limit' | 'value'>;
  near: string;
}

function judge(check: Check, reasons: ForkReason[], warnings: ForkWarning[]): boolean {
  if (check.after > check.limit) {
    reasons.push({ ...check.reason, limit: check.limit, value: check.after });
    return false;
  }
  if (check.limit !== Infinity && check.limit - check.after < AT_RISK_SHARE * check.limit) {
    warnings.push({ cause: 'near-limit', message: check.near });
    return true;
  }
  return false;
}

export function decideTasks(input: TasksInput): TasksDecision {
  const reasons: ForkReason[] = [];
  const warnings: ForkWarning[] = [];
  let nearLimit = false;
  const exempt = nprocExemption(input.realUid, input.capEff);
  const uidTasks = input.uidTasks ?? input.machineTasks;
  // copy_process: after copy_creds() counted the new task, is_rlimit_overlimit(count > RLIMIT_NPROC soft).
  if (exempt === null && input.uidTasks !== null) {
    nearLimit = judge({
      after: uidTasks + 1,
      limit: input.nprocSoft,
      reason: { code: 'EAGAIN', cause: 'rlimit-nproc', message: `uid ${input.realUid} already owns ${uidTasks} tasks (threads); RLIMIT_NPROC allows ${input.nprocSoft}` },
      near: `uid ${input.realUid} owns ${uidTasks} tasks, within 10 % of RLIMIT_NPROC ${input.nprocSoft}`,
    }, reasons, warnings) || nearLimit;
  }
  // copy_process: nr_threads >= max_threads.
  nearLimit = judge({
    after: input.machineTasks + 1,
    limit: input.threadsMax,
    reason: { code: 'EAGAIN', cause: 'threads-max', message: `${input.machineTasks} tasks on the machine reach kernel.threads-max ${input.threadsMax}` },
    near: `${input.machineTasks} tasks on the machine, within 10 % of kernel.threads-max ${input.threadsMax}`,
  }, reasons, warnings) || nearLimit;
  // alloc_pid: idr_alloc_cyclic() over RESERVED_PIDS .. pid_max − 1 fails (-ENOSPC → EAGAIN) at the first level of the
  // namespace chain where every number is taken, by a task, or by a process group or session that outlives its leader.
  const levels = input.pidLevels ?? [
    input.pidsInUse !== null && input.pidsInUse !== undefined
      ? { ...estimatedPidLevel(0, input.pidMax, input.pidsInUse), counted: true }
      : estimatedPidLevel(0, input.pidMax, input.machineTasks),
  ];
  const pidDecision = judgePidLevels(levels);
  reasons.push(...pidDecision.reasons);
  warnings.push(...pidDecision.warnings);
  nearLimit = pidDecision.nearLimit || nearLimit;
  const holdersMatter = nearLimit || reasons.length > 0 || pidDecision.unknown;
  // pids_try_charge: every level from the task's cgroup to the root must stay within pids.max.
  for (const level of input.cgroup?.levels ?? []) {
    nearLimit = judge({
      after: level.current + 1,
      limit: level.max,
      reason: { code: 'EAGAIN', cause: 'cgroup-pids', message: `pids cgroup ${level.path} holds ${level.current} tasks, its pids.max is ${level.max}` },
      near: `pids cgroup ${level.path} holds ${level.current} tasks, within 10 % of pids.max ${level.max}`,
    }, reasons, warnings) || nearLimit;
  }
  return {
    report: {
      nproc: {
        realUid: input.realUid,
        tasks: uidTasks,
        soft: input.nprocSoft,
        hard: input.nprocHard,
        exempt,
        tasksCounted: input.uidTasks !== null,
      },
      threads: { current: input.machineTasks, max: input.threadsMax },
      pids: { current: pidDecision.deciding.inRange, max: pidDecision.deciding.pidMax ?? input.pidMax, levels },
      cgroup: input.cgroup,
      holders: input.holders ?? null,
    },
    reasons,
    warnings,
    nearLimit,
    unknown: pidDecision.unknown,
    pidDeciding: pidDecision.deciding,
    pidUndecided: pidDecision.undecided,
    pidUndecidedWarnings: pidDecision.undecidedWarnings,
    holdersMatter,
  };
}
