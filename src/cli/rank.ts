// Orders processes by how close they are to a failing fork, and picks the numbers a one-line row shows.
import type { ForkCause, ForkReport, ForkVerdict, MemoryReport } from '../model/report';
import { tightestTaskLimit, usedShare } from '../model/task-limits';
import type { ProcessEntry } from './scan';

/** The size of the memory limit that fork's accounting compares against, or null in mode 1. */
export function memoryLimitBytes(memory: MemoryReport): number | null {
  if (memory.overcommit === 1) return null;
  if (memory.overcommit === 0) return memory.totalRamBytes + memory.totalSwapBytes;
  return memory.commitLimitBytes;
}

/** 0 (far from any limit), 1 (at one) or more (past it): the larger of memory and task pressure. */
function memoryPressure(memory: MemoryReport): number {
  const limit = memoryLimitBytes(memory);
  const headroom = memory.headroomBytes;
  return limit === null || headroom === null || limit <= 0 ? 0 : 1 - headroom / limit;
}

export function pressure(report: ForkReport): number {
  const tasks = tightestTaskLimit(report);
  return Math.max(0, memoryPressure(report.memory), usedShare(tasks.used, tasks.limit));
}

/** The limit a process that can still fork is closest to: memory, or the tightest task limit. */
export function nearestLimit(report: ForkReport): ForkCause {
  const tasks = tightestTaskLimit(report);
  if (usedShare(tasks.used, tasks.limit) >= memoryPressure(report.memory)) return tasks.source;
  return report.memory.overcommit === 2 ? 'commit-limit' : 'vma-exceeds-ram-swap';
}

const VERDICT_ORDER: Record<ForkVerdict, number> = { fails: 0, 'at-risk': 1, unknown: 2, ok: 3 };

export function verdictOf(entry: ProcessEntry): ForkVerdict {
  return entry.report?.verdict ?? 'unknown';
}

/** Cannot fork first, then at risk, unknown, ok; within each, the highest pressure first, then by pid. */
export function rankByRisk(entries: readonly ProcessEntry[]): ProcessEntry[] {
  return [...entries].sort((a, b) => {
    const byVerdict = VERDICT_ORDER[verdictOf(a)] - VERDICT_ORDER[verdictOf(b)];
    if (byVerdict !== 0) return byVerdict;
    const byPressure = (b.report ? pressure(b.report) : 0) - (a.report ? pressure(a.report) : 0);
    return byPressure !== 0 ? byPressure : a.pid - b.pid;
  });
}
