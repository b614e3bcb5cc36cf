// The shape of a canFork() answer. Public API (issue #4): other projects depend on these names.

export type OvercommitMode = 0 | 1 | 2;

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

export interface CgroupPidsLevel {
  /** The cgroup path relative to the hierarchy root ('/' for the root). */
  path: string;
  /** The pids.max / pids.current directory on disk. */
  directory: string;
  current: number;
  /** Infinity for 'max'. */
  max: number;
}

export interface TasksReport {
  nproc: NprocReport;
  threads: { current: number; max: number };
  /**
   * `current`: the pid numbers in use from 300 to pid_max − 1 when they were counted (near the limit, or with
   * `exact`), otherwise nr_threads, which estimates them.
   */
  pids: { current: number; max: number };
  /** The target's pids cgroup and every ancestor up to the root, innermost first; null without a pids controller. */
  cgroup: { version: 1 | 2; path: string; levels: CgroupPidsLevel[] } | null;
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
  /** Present when canFork({ trial: true }) ran the no-touch trial allocation. */
  trial?: { bytes: number; ok: boolean; code?: string };
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
  /** Pids in use in this pid namespace against kernel.pid_max. */
  pids: { current: number; max: number };
}
