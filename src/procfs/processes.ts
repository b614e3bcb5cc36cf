// The process list of /proc and per-uid task counts (what RLIMIT_NPROC counts: tasks, i.e. threads, by real uid).
import { readdirSync, readFileSync } from 'node:fs';
import { ProcfsParseError } from './parse-error';
import { isVanishedProcess } from './process-file';

/** Every numeric entry of /proc (processes, not threads), ascending. */
export function listPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (/^\d+$/.test(name)) pids.push(Number(name));
  }
  return pids.sort((a, b) => a - b);
}

export interface TaskOwner {
  realUid: number;
  threads: number;
}

const UID_LINE = /^Uid:\t(\d+)\t/m;
const THREADS_LINE = /^Threads:\t(\d+)$/m;

/** The real uid and thread count of one /proc/PID/status text: the two fields counting needs, found fast. */
export function parseTaskOwner(text: string, path?: string): TaskOwner {
  const uid = UID_LINE.exec(text);
  const threads = THREADS_LINE.exec(text);
  if (!uid || !threads) throw new ProcfsParseError(`missing ${uid ? 'Threads' : 'Uid'}`, path);
  return { realUid: Number(uid[1]), threads: Number(threads[1]) };
}

/** Sums the threads of the processes whose real uid is `realUid`. */
export function countTasksOfUid(owners: Iterable<TaskOwner>, realUid: number): number {
  let tasks = 0;
  for (const owner of owners) if (owner.realUid === realUid) tasks += owner.threads;
  return tasks;
}

/**
 * Reads the task owner of every process in /proc. `known` supplies status texts already read this call
 * (each /proc file is read once). Processes that exit while we walk are skipped.
 */
export function readTaskOwners(known: ReadonlyMap<number, string> = new Map()): TaskOwner[] {
  const owners: TaskOwner[] = [];
  for (const pid of listPids()) {
    const path = `/proc/${pid}/status`;
    let text = known.get(pid);
    if (text === undefined) {
      try {
        text = readFileSync(path, 'utf8');
      } catch (error) {
        if (isVanishedProcess(error)) continue;
        throw error;
      }
    }
    owners.push(parseTaskOwner(text, path));
  }
  return owners;
}
