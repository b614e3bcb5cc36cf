// alloc_pid() (kernel/pid.c) takes a pid number in every pid namespace from the forking task's own up to the
// initial one, each from that namespace's idr and under that namespace's pid_max (per namespace since 6.14).
// It fails (EAGAIN) as soon as one level has no free number. Pure: counts come from the census, no I/O here.
import type { CensusProcess, TaskCensus } from '../procfs/census';
import type { ForkReason, ForkWarning, PidNamespaceLevel } from './report';

/**
 * alloc_pid() hands out pids from RESERVED_PIDS up to pid_max − 1 once its cursor has passed 300 (include/linux/pid.h).
 * Before that a namespace also hands out 1..299, but then no number ≥ 300 is in use yet, so the range
 * 300 .. pid_max − 1 holds a free one either way: a level is full exactly when every number of that range is in use.
 */
export const RESERVED_PIDS = 300;

/** Which namespace the target forks into, per level, and what is known of each level's pid_max. */
export interface PidLevelsTarget {
  /** The target's NSpid (level 0 first). */
  nsPids: number[];
  /** The inodes of levels 1 .. (null: not readable). */
  namespaces: number[] | null;
  /** pid_max per level where known (level 0 from the sysctl; the innermost from a trial), else null. */
  pidMaxByLevel: (number | null)[];
  pidMaxSourceByLevel: ('sysctl' | 'trial' | null)[];
}

/** What one level holds: every pid number in use there. */
interface LevelNumbers {
  numbers: Set<number>;
  /** Tasks of processes that could not be placed in a namespace (their numbers may belong here). */
  unplacedTasks: number;
}

function levelNumbers(census: TaskCensus, level: number, namespace: number | null): LevelNumbers {
  const numbers = new Set<number>();
  let unplacedTasks = 0;
  const add = (value: number | undefined): void => {
    if (value !== undefined && value > 0) numbers.add(value);
  };
  const addProcess = (process: CensusProcess): void => {
    add(process.nsPids[level]);
    for (const thread of process.otherThreadNsPids) add(thread[level]);
    add(process.nsProcessGroups[level]);
    add(process.nsSessions[level]);
  };
  for (const process of census.processes) {
    if (process.nsPids.length <= level) continue;
    if (level === 0) {
      addProcess(process);
    } else if (process.namespaces === null) {
      unplacedTasks += process.threads;
    } else if (process.namespaces[level - 1] === namespace) {
      addProcess(process);
    }
  }
  return { numbers, unplacedTasks };
}

function firstFreeFrom(numbers: Set<number>, from: number): number {
  let candidate = from;
  while (numbers.has(candidate)) candidate++;
  return candidate;
}

/** Every level of the target's chain counted from the census. The verdict is {@link judgePidLevels}'. */
export function countPidLevels(census: TaskCensus, target: PidLevelsTarget): [PidNamespaceLevel, ...PidNamespaceLevel[]] {
  const [first = 0, ...rest] = target.nsPids;
  return [first, ...rest].map((pid, level) => {
    const namespace = level === 0 ? null : target.namespaces?.[level - 1] ?? null;
    const pidMax = target.pidMaxByLevel[level] ?? null;
    const identified = level === 0 || namespace !== null;
    const { numbers, unplacedTasks } = identified ? levelNumbers(census, level, namespace) : { numbers: new Set<number>(), unplacedTasks: 0 };
    let inRange = 0;
    for (const value of numbers) if (value >= RESERVED_PIDS && (pidMax === null || value < pidMax)) inRange++;
    return {
      level,
      namespace,
      pid,
      pidMax,
      pidMaxSource: pidMax === null ? null : target.pidMaxSourceByLevel[level] ?? null,
      inRange,
      rangeSize: pidMax === null ? null : Math.max(1, pidMax - RESERVED_PIDS),
      inUse: numbers.size,
      firstFreeFrom300: identified ? firstFreeFrom(numbers, RESERVED_PIDS) : null,
      counted: identified,
      unplacedTasks,
    };
  }) as [PidNamespaceLevel, ...PidNamespaceLevel[]];
}

/** Level 0 only, when nothing was counted: nr_threads estimates the numbers in use (an undercount of groups and sessions). */
export function estimatedPidLevel(pid: number, pidMax: number, machineTasks: number): PidNamespaceLevel {
  return {
    level: 0, namespace: null, pid, pidMax, pidMaxSource: 'sysctl', inRange: machineTasks,
    rangeSize: Math.max(1, pidMax - RESERVED_PIDS), inUse: machineTasks, firstFreeFrom300: null, counted: false, unplacedTasks: 0,
  };
}

export function levelName(level: PidNamespaceLevel): string {
  if (level.level === 0) return 'this pid namespace (level 0)';
  const id = level.namespace === null ? 'unidentified' : `pid:[${level.namespace}]`;
  return `pid namespace ${id} (level ${level.level}, where the process is pid ${level.pid})`;
}

export interface PidLevelsDecision {
  reasons: ForkReason[];
  warnings: ForkWarning[];
  nearLimit: boolean;
  unknown: boolean;
  /** The level whose numbers decided: the first failing one, else the one with the least room among the known. */
  deciding: PidNamespaceLevel;
  /** Levels whose unknowns (pid_max, or which processes share them) could make the fork fail. */
  undecided: PidNamespaceLevel[];
  /** The warnings that say so: a task trial that settles those levels drops exactly these. */
  undecidedWarnings: ForkWarning[];
}

const AT_RISK_SHARE = 0.1;

/** Judges every level: fails when one has no free number; unknown only where a level's unknowns could make it fail. */
export function judgePidLevels(levels: [PidNamespaceLevel, ...PidNamespaceLevel[]]): PidLevelsDecision {
  const reasons: ForkReason[] = [];
  const warnings: ForkWarning[] = [];
  let nearLimit = false;
  const undecided: PidNamespaceLevel[] = [];
  const undecidedWarnings: ForkWarning[] = [];
  const undecide = (level: PidNamespaceLevel, warning: ForkWarning): void => {
    undecided.push(level);
    undecidedWarnings.push(warning);
    warnings.push(warning);
  };
  let deciding = levels[0];
  let leastRoom = Infinity;
  for (const level of levels) {
    // Level 0 alone is just "the" pid range; with nested levels each is named.
    const name = levelName(level);
    const where = levels.length > 1 ? ` in ${name}` : '';
    if (!level.counted) {
      if (level.level > 0) {
        undecide(level, { cause: 'pid-namespace-unreadable', message: `${name}: cannot tell which processes share it (no right to read /proc/PID/ns/pid), so its free pids are unknown` });
      }
      if (level.rangeSize === null || level.level > 0) continue;
    }
    const estimated = level.counted ? '' : ' (estimated by the task count)';
    if (level.pidMax === null || level.rangeSize === null) {
      // pid_max is between 301 and PID_MAX_LIMIT (a new namespace's default). With 300 free the level has
      // room whatever it is; otherwise it is full exactly when pid_max ≤ the first free number from 300.
      const firstFree = level.firstFreeFrom300 ?? RESERVED_PIDS;
      if (firstFree > RESERVED_PIDS) {
        undecide(level, {
          cause: 'pid-max-unknown',
          message: `${name}: every pid from ${RESERVED_PIDS} to ${firstFree - 1} is in use there; a fork fails if its kernel.pid_max is ` +
            `${firstFree} or less, and that sysctl can only be read from inside the namespace (canFork({ pid, trial: true }) asks the kernel)`,
        });
      }
      continue;
    }
    const room = level.rangeSize - level.inRange;
    const counts = `${level.inRange} of the ${level.rangeSize} pids from ${RESERVED_PIDS} to kernel.pid_max ${level.pidMax} − 1`;
    const what = `${counts}${where} are in use${estimated}`;
    if (room <= 0) {
      reasons.push({ code: 'EAGAIN', cause: 'pid-max', message: `${what}: none is free`, limit: level.rangeSize, value: level.inRange + 1 });
      if (reasons.length === 1) deciding = level;
      continue;
    }
    if (level.unplacedTasks >= room) {
      undecide(level, {
        cause: 'pid-namespace-unreadable',
        message: `${name}: ${counts} are in use${estimated}; ${level.unplacedTasks} tasks in nested namespaces that could not be identified may take the remaining ${room}`,
      });
    } else if (room - 1 < AT_RISK_SHARE * level.rangeSize) {
      nearLimit = true;
      warnings.push({ cause: 'near-limit', message: `${what}, within 10 %` });
    }
    if (reasons.length === 0 && room / level.rangeSize < leastRoom) {
      leastRoom = room / level.rangeSize;
      deciding = level;
    }
  }
  return { reasons, warnings, nearLimit, unknown: undecided.length > 0, deciding, undecided: [...new Set(undecided)], undecidedWarnings };
}
