// The process list of /proc and per-uid task counts (what RLIMIT_NPROC counts: tasks, i.e. threads, by real uid).
import { readdirSync } from 'node:fs';

/** Every numeric entry of /proc (processes, not threads), ascending. */
export function listPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (/^\d+$/.test(name)) pids.push(Number(name));
  }
  return pids.sort((a, b) => a - b);
}

/** Sums the threads of the processes whose real uid is `realUid` (census entries, or anything with the two fields). */
export function countTasksOfUid(owners: Iterable<{ realUid: number; threads: number }>, realUid: number): number {
  let tasks = 0;
  for (const owner of owners) if (owner.realUid === realUid) tasks += owner.threads;
  return tasks;
}
