// The shape of a canFork() answer. Public API (issue #4): other projects depend on these names.
// Two shapes are the readers' own, re-exported here as part of the answer (types only: the model does no I/O).
import type { CgroupPidsLevel } from '../procfs/cgroup';
import type { OvercommitMode } from '../procfs/sysctl';

export type { CgroupPidsLevel, OvercommitMode };

/** How many of the largest accountable VMAs a report lists. */
export const LARGEST_VMAS_LISTED = 5;

/** Which kernel check a fork would fail. */
export type ForkCause = 'vma-exceeds-ram-swap' | 'commit-limit' | 'rlimit-nproc' | 'threads-max' | 'pid-max' | 'cgroup-pids';

/** `fails`: a fork now would fail. `at-risk`: some headroom is under 10 %. `unknown`: data unreadable. */
export type ForkVerdict = 'ok' | 'at-risk' | 'fails' | 'unknown';

export interface ForkReason {
  /** The errno the fork would get. */
  code: 'ENOMEM' | 'EAGAIN';
  cause: ForkCause;
  message: string;
  /** The limit that fired, in the unit of `value` (bytes or tasks). */
  limit: number;
  /** What the fork would need or count against `limit`. */
  value: number;
}

export interface ForkWarning {
  /** e.g. 'near-limit', 'unreadable', 'estimate', 'old-kernel'. */
  cause: string;
  message: string;
}

/** One VMA that fork would charge: VM_ACCOUNT (`ac`) and not VM_DONTCOPY (`dc`). */
export interface AccountableVma {
  start: bigint;
  end: bigint;
  bytes: number;
  /** The pathname column of maps; '' for anonymous memory, '[heap]' and the like as the kernel names them. */
  path: string;
}

export interface MemoryReport {
  overcommit: OvercommitMode;
  totalRamBytes: number;
  totalSwapBytes: number;
  commitLimitBytes: number;
  committedBytes: number;
  /** Sum of every accountable, copied VMA: what fork charges in all. */
  accountableBytes: number;
  /** How much more fork could charge before it fails; null in mode 1 (never fails for memory). */
  headroomBytes: number | null;
  largestAccountable: AccountableVma | null;
  /** The largest accountable VMAs, biggest first, at most {@link LARGEST_VMAS_LISTED}; upper bounds unless `exact`. */
  largestAccountableVmas: AccountableVma[];
  /**
   * True when the VMAs came from VmFlags (/proc/PID/smaps). False when canFork() settled the answer from
   * /proc/PID/maps alone: accountableBytes and largestAccountable are then upper bounds (every private VMA).
   */
  exact: boolean;
}

export interface NprocReport {
  /** The real uid whose tasks count against RLIMIT_NPROC. */
  realUid: number;
  /** Tasks (threads) owned by that uid, machine-wide in its user namespace. */
  tasks: number;
  soft: number;
  hard: number;
  /** Why the limit does not apply, or null when it does. */
  exempt: 'root' | 'CAP_SYS_RESOURCE' | 'CAP_SYS_ADMIN' | null;
  /**
   * True when `tasks` was counted over /proc/PID/status of every process. False when the limit could not
   * fire (exempt, unlimited, or even every task on the machine stays far below it): `tasks` is then the
   * machine's task count (nr_threads), an upper bound.
   */
  tasksCounted: boolean;
}

/**
 * One level of the pid namespace chain a fork of the target allocates in (alloc_pid takes a number at each).
 * Level 0 is the namespace whose /proc canfork reads (its own); 1, 2, ... are nested below it, the target's last.
 */
export interface PidNamespaceLevel {
  level: number;
  /** The namespace's inode, as in `pid:[4026532178]` of /proc/PID/ns/pid; null for level 0 and when unreadable. */
  namespace: number | null;
  /** The target's pid in that namespace. */
  pid: number;
  /** kernel.pid_max of that namespace; null where it cannot be known (the sysctl answers only from inside). */
  pidMax: number | null;
  /** 'sysctl': read here (level 0); 'trial': read by the trial task inside the namespace. */
  pidMaxSource: 'sysctl' | 'trial' | null;
  /** The pid numbers in use from 300 to pid_max − 1 (all from 300 up when pidMax is null): what the rule compares. */
  inRange: number;
  /** pid_max − 300: how many numbers that range holds; null when pidMax is. */
  rangeSize: number | null;
  /** Every pid number in use in the namespace: tasks, process groups and sessions. */
  inUse: number;
  /** The lowest free number from 300 up; null when not counted. */
  firstFreeFrom300: number | null;
  /** False when the numbers are nr_threads' estimate (level 0 far from its limit) or the level could not be identified. */
  counted: boolean;
  /** Tasks in nested namespaces that could not be identified, which may hold numbers of this level. */
  unplacedTasks: number;
}

/** A process that holds tasks: threads of its own, or unreaped zombie children. */
export interface TaskHolder {
  /** Its pid as canfork sees it (level 0). */
  pid: number;
  comm: string;
  /** Threads it runs, or zombies it has not reaped. */
  count: number;
}

/**
 * Who holds the tasks (and the pid numbers): the processes with the most threads and the parents with the most
 * unreaped zombies. A zombie keeps its pid until its parent waits for it or exits.
 */
export interface TaskHolders {
  /** Where they were counted: 'machine', or the nested pid namespace whose pids decided (e.g. 'pid:[4026532178]'). */
  scope: string;
  /** Most threads first, at most 10. */
  threads: TaskHolder[];
  /** Most unreaped zombies first, at most 10. */
  zombieParents: TaskHolder[];
  /** Every zombie in the scope. */
  zombies: number;
}

export interface TasksReport {
  nproc: NprocReport;
  threads: { current: number; max: number };
  /**
   * `current` and `max`: the pid numbers in use from 300 to pid_max − 1 and pid_max of the level that decided
   * (the first full one, else the one with the least room); nr_threads estimates `current` when nothing was
   * counted. `levels`: every level of the chain with its own numbers.
   */
  pids: { current: number; max: number; levels?: PidNamespaceLevel[] };
  /** The target's pids cgroup and every ancestor up to the root, innermost first; null without a pids controller. */
  cgroup: { version: 1 | 2; path: string; levels: CgroupPidsLevel[] } | null;
  /** Who holds the tasks; null when the processes were not counted (no task limit near). Always set by canFork(). */
  holders?: TaskHolders | null;
}

/**
 * canFork({ trial: true })'s task trial: one tiny task created where the target's next fork would create one
 * (its pid namespace for children, and with cgroup v2 its pids cgroup), which exits at once.
 */
export interface TaskTrialReport {
  /** False when the trial could not run; `skipped` says why. */
  ran: boolean;
  /** The kernel's answer: the task could be created. null when the trial did not run or could not decide. */
  ok: boolean | null;
  /** The errno of the failed clone (EAGAIN: pid_max at some level, threads-max, or the cgroup's pids.max). */
  code?: string;
  skipped?: string;
  /** kernel.pid_max of the target's namespace, read by the trial task inside it. */
  pidMax: number | null;
  /** The target's namespace for children (its inode). */
  namespace: number | null;
  /** 'trial': the task was created in the target's pids cgroup (v2); 'model': that check stayed the model's (v1, or no rights). */
  cgroup: 'trial' | 'model' | 'none';
  /** What the kernel's answer covers, and what stays a model check (RLIMIT_NPROC always). */
  covers: string[];
  modelOnly: string[];
}

export interface ForkReport {
  pid: number;
  /** False only when a fork now would fail. */
  ok: boolean;
  verdict: ForkVerdict;
  reasons: ForkReason[];
  warnings: ForkWarning[];
  memory: MemoryReport;
  tasks: TasksReport;
  /** Present when canFork({ trial: true }) ran the no-touch trials: the allocation, and (`tasks`) the task. */
  trial?: { bytes: number; ok: boolean; code?: string; tasks?: TaskTrialReport };
  /** /proc/PID/oom_score: the OOM killer's badness of the process (0..1000, higher dies first); null if unreadable. */
  oomScore?: number | null;
}

/** Machine-wide numbers behind every canFork() answer, for summaries that name no process. */
export interface MachineSummary {
  overcommit: OvercommitMode;
  totalRamBytes: number;
  totalSwapBytes: number;
  commitLimitBytes: number;
  committedBytes: number;
  /** nr_threads (every task, kernel threads included) against kernel.threads-max. */
  threads: { current: number; max: number };
  /**
   * kernel.pid_max against `tasks`, nr_threads: every task holds a pid, so the pids in use are at least this many
   * (a process group or session whose leader exited holds one more; canFork() counts those when pid_max is near).
   */
  pids: {
    tasks: number;
    max: number;
    /** @deprecated The same number as `tasks` (nr_threads), kept for compatibility; it never counted pids in use. */
    current: number;
  };
  // The OOM side (always set by machineSummary() and the CLI; optional for summaries built by hand).
  /** MemAvailable: what can be allocated without swapping (an estimate by the kernel). */
  availableBytes?: number;
  /** /proc/pressure/memory avg10 as a ratio (0..1): some task stalled (`some`), all stalled (`full`); null without PSI. */
  memoryPressure?: { some: number; full: number } | null;
  /** oom_kill of /proc/vmstat: processes the OOM killer has killed since boot; null when absent. */
  oomKills?: number | null;
  /** Parents with the most unreaped zombies (at most 10), when the processes were counted; else absent. */
  zombieParents?: TaskHolder[];
}
