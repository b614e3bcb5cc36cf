// The pid numbers in use: those alloc_pid() (kernel/pid.c) cannot hand out again. A number stays taken while a
// task uses it as its id, its process group or its session, so a group can hold its leader's pid after it exits.
import { readdirSync, readFileSync } from 'node:fs';
import { ProcfsParseError } from './parse-error';
import { isVanishedProcess } from './process-file';
import { listPids } from './processes';

export interface StatGroupIds {
  processGroup: number;
  session: number;
}

/**
 * The process group and session of one /proc/PID/stat text (fields 5 and 6). The command name, field 2, is in
 * parentheses and may itself hold spaces and ')': the fields after it start after the last ') '.
 */
export function parseStatGroupIds(text: string, path?: string): StatGroupIds {
  const afterName = text.lastIndexOf(') ');
  if (afterName < 0) throw new ProcfsParseError('no ") " after the command name', path, 1);
  // state ppid pgrp session ...
  const fields = text.slice(afterName + 2).split(' ');
  const idAt = (index: number): number => {
    const field = fields[index];
    // -1 while the task is being reaped (state X): it holds no group or session any more.
    if (field === undefined || !/^-?\d+$/.test(field)) {
      throw new ProcfsParseError(`no process group and session in '${text.slice(afterName, afterName + 60)}'`, path, 1);
    }
    return Number(field);
  };
  return { processGroup: idAt(2), session: idAt(3) };
}

/**
 * How many distinct pid numbers from `from` to `to` − 1 are in use in this pid namespace: every thread id
 * (/proc/PID/task), every process group and every session. Processes that exit during the walk are skipped.
 */
export function countPidsInUse(from: number, to: number): number {
  const inUse = new Set<number>();
  const add = (pid: number): void => {
    if (pid >= from && pid < to) inUse.add(pid);
  };
  for (const pid of listPids()) {
    const statPath = `/proc/${pid}/stat`;
    let ids: StatGroupIds;
    let threadIds: string[];
    try {
      threadIds = readdirSync(`/proc/${pid}/task`);
      ids = parseStatGroupIds(readFileSync(statPath, 'utf8'), statPath);
    } catch (error) {
      if (isVanishedProcess(error)) continue;
      throw error;
    }
    for (const threadId of threadIds) add(Number(threadId));
    add(ids.processGroup);
    add(ids.session);
  }
  return inUse.size;
}
