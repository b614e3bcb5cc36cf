// The few /proc facts supervision needs: a process's state, group, session and start time, and its
// children. Text from /proc is untrusted: every number is checked, and a process that vanishes
// between two reads is simply gone (null or an empty list), never an error.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessStat {
  pid: number;
  /** One letter: R, S, D, T (stopped), t (traced), Z (zombie), X (dead)... */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** Clock ticks after boot (field 22): with the pid it names one process, since pids are reused. */
  startTime: string;
}

const POSITIVE_INTEGER = /^[1-9]\d{0,9}$/;

function isGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // ESRCH: a task file of a process that is being torn down; EACCES never applies to stat or children.
  return code === 'ENOENT' || code === 'ESRCH';
}

/** Fields after the command name, which may itself hold spaces and parentheses (fs/proc/array.c do_task_stat). */
export function parseStat(pid: number, text: string): ProcessStat | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text.slice(close + 2).split(' ');
  const [state = '', ppid = '', pgrp = '', session = ''] = fields;
  const startTime = fields[19] ?? '';
  if (!/^[A-Za-z]$/.test(state) || !/^\d+$/.test(startTime)) return null;
  const integer = /^-?\d{1,10}$/;
  if (!integer.test(ppid) || !integer.test(pgrp) || !integer.test(session)) return null;
  return { pid, state, ppid: Number(ppid), pgrp: Number(pgrp), session: Number(session), startTime };
}

/** /proc/PID/stat, or null when there is no such process (any more). */
export function readStat(pid: number): ProcessStat | null {
  try {
    return parseStat(pid, readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch (error) {
    if (isGone(error)) return null;
    throw error;
  }
}

/** Whether the process exists and is not a zombie: the one that can still act on a signal. */
export function isLive(stat: ProcessStat | null): stat is ProcessStat {
  return stat !== null && stat.state !== 'Z' && stat.state !== 'X' && stat.state !== 'x';
}

/** Space-separated pids as /proc/PID/task/TID/children lists them; anything else is dropped. */
export function parsePidList(text: string): number[] {
  return text.split(/\s+/).filter((field) => POSITIVE_INTEGER.test(field)).map(Number);
}

/** The pids in /proc (the processes this /proc shows: those of its pid namespace). */
export function listPids(): number[] {
  return readdirSync('/proc').filter((entry) => POSITIVE_INTEGER.test(entry)).map(Number);
}

/**
 * The children of `pid`: the union of /proc/PID/task/TID/children over its threads (each thread lists the
 * children it created; fs/proc/array.c get_children_pid). Needs CONFIG_PROC_CHILDREN; see hasChildrenFiles().
 */
export function readChildren(pid: number): number[] {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch (error) {
    if (isGone(error)) return [];
    throw error;
  }
  const children = new Set<number>();
  for (const tid of threads) {
    if (!POSITIVE_INTEGER.test(tid)) continue;
    try {
      for (const child of parsePidList(readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1'))) children.add(child);
    } catch (error) {
      if (!isGone(error)) throw error; // the thread exited meanwhile
    }
  }
  return [...children];
}

/** Whether this kernel has /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN). */
export function hasChildrenFiles(): boolean {
  try {
    readFileSync(`/proc/self/task/${process.pid}/children`);
    return true;
  } catch {
    return false;
  }
}
