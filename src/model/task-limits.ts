// The task limits of a report as one list, for the presenters that rank them or export each (the CLI's
// tightest limit, the prom-client gauges). Pure.
import type { ForkReport } from './report';

/** One of the four task limits copy_process() checks, with its numbers from a report. */
export interface TaskLimit {
  /** 'rlimit-nproc', 'cgroup-pids', 'threads-max' or 'pid-max' (the ForkCause names). */
  source: 'rlimit-nproc' | 'cgroup-pids' | 'threads-max' | 'pid-max';
  used: number;
  /** Infinity when unlimited. */
  limit: number;
  /** The cgroup path for 'cgroup-pids', else ''. */
  where: string;
}

/** How full a limit is: 0 when unlimited, 1 at a limit of 0 or less (nothing may be created). */
export function usedShare(used: number, limit: number): number {
  if (limit === Infinity) return 0;
  if (limit <= 0) return 1;
  return used / limit;
}

const fuller = (best: TaskLimit, next: TaskLimit): TaskLimit =>
  (usedShare(next.used, next.limit) > usedShare(best.used, best.limit) ? next : best);

/** Every task limit that applies to the report's process: RLIMIT_NPROC only when not exempt, one entry per pids
 * cgroup level, or with `tightestCgroupLevel` only the fullest level. */
export function taskLimitsOf(report: ForkReport, { tightestCgroupLevel = false } = {}): TaskLimit[] {
  const { nproc, threads, pids, cgroup } = report.tasks;
  const limits: TaskLimit[] = [
    { source: 'threads-max', used: threads.current, limit: threads.max, where: '' },
    { source: 'pid-max', used: pids.current, limit: pids.max, where: '' },
  ];
  if (nproc.exempt === null) limits.push({ source: 'rlimit-nproc', used: nproc.tasks, limit: nproc.soft, where: '' });
  const levels: TaskLimit[] = (cgroup?.levels ?? []).map((level) => ({ source: 'cgroup-pids', used: level.current, limit: level.max, where: level.path }));
  if (tightestCgroupLevel && levels.length > 0) limits.push(levels.reduce(fuller));
  else limits.push(...levels);
  return limits;
}

/** The task limit closest to being reached. */
export function tightestTaskLimit(report: ForkReport): TaskLimit {
  return taskLimitsOf(report).reduce(fuller);
}
