// One pass over /proc for everything the task limits count: every process's state, parent, threads and owner,
// and the pid numbers it holds in every pid namespace it belongs to (NSpid, NSpgid and NSsid of
// /proc/PID/status, fs/proc/array.c). The numbers of each level are what alloc_pid() (kernel/pid.c) cannot
// hand out again in that level's namespace: a task's id, and its process group and session while they live.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { constants } from 'node:os';
import { systemError } from '../errors';
import { ProcfsParseError } from './parse-error';
import { isVanishedProcess } from './process-file';
import { listPids } from './processes';
import { fieldNames } from './field-names';
import { statusFields } from './status';

/** One process of the census. Pid numbers are listed per level: [0] is the /proc mount's namespace. */
export interface CensusProcess {
  pid: number;
  /** Name: the command (truncated to 15 bytes by the kernel). */
  comm: string;
  /** The State letter: R, S, D, Z (zombie), ... */
  state: string;
  /** The parent's pid at level 0; 0 when the parent is outside this /proc's namespace. */
  ppid: number;
  realUid: number;
  threads: number;
  /** NSpid: this process's id from level 0 down to its own namespace. One entry: it is in level 0's namespace. */
  nsPids: number[];
  /** NSpgid and NSsid, per level like nsPids; 0 where the group or session has no number at that level. */
  nsProcessGroups: number[];
  nsSessions: number[];
  /**
   * Per level, the ids of every thread but the leader (the leader's are nsPids). Read from
   * /proc/PID/task/TID/status only for multi-threaded processes in a nested namespace; level 0 from the
   * task directory for all multi-threaded ones.
   */
  otherThreadNsPids: number[][];
  /**
   * The inodes of the pid namespaces at levels 1 .. nsPids.length − 1 (outermost first), or null when they could
   * not be read (no ptrace-read right on the process, or an old kernel).
   */
  namespaces: number[] | null;
}

export interface TaskCensus {
  processes: CensusProcess[];
  /** Processes whose nested namespaces could not be identified (no right to read /proc/PID/ns/pid). */
  unidentified: number;
}

/** Resolves the namespace chain of a process nested two or more levels deep (ioctl NS_GET_PARENT; native). */
export type NamespaceChainResolver = (pid: number) => number[] | null;

function levelList(text: string | undefined, name: string, path: string | undefined): number[] {
  if (text === undefined) throw new ProcfsParseError(`missing ${name}`, path);
  const fields = text.split('\t');
  if (fields.some((field) => !/^\d+$/.test(field))) throw new ProcfsParseError(`bad ${name} '${text.slice(0, 60)}'`, path);
  return fields.map(Number);
}

const CENSUS_FIELDS = fieldNames(['Name', 'State', 'Pid', 'PPid', 'Uid', 'Threads', 'NSpid', 'NSpgid', 'NSsid']);

/** The census fields of one /proc/PID/status text. Kernels before 4.1 have no NS* lines: one level then. */
export function parseCensusStatus(text: string, path?: string): Omit<CensusProcess, 'otherThreadNsPids' | 'namespaces'> {
  const fields = statusFields(text, CENSUS_FIELDS, path);
  const number = (name: string): number => {
    const value = fields.get(name);
    if (value === undefined || !/^\d+$/.test(value)) throw new ProcfsParseError(`bad or missing ${name}`, path);
    return Number(value);
  };
  const uid = /^(\d+)\t/.exec(fields.get('Uid') ?? '');
  if (!uid) throw new ProcfsParseError('bad or missing Uid', path);
  const state = /^([A-Za-z])/.exec(fields.get('State') ?? '');
  if (!state) throw new ProcfsParseError('bad or missing State', path);
  const pid = number('Pid');
  const hasLevels = fields.has('NSpid');
  const nsPids = hasLevels ? levelList(fields.get('NSpid'), 'NSpid', path) : [pid];
  const nsProcessGroups = hasLevels ? levelList(fields.get('NSpgid'), 'NSpgid', path) : [0];
  const nsSessions = hasLevels ? levelList(fields.get('NSsid'), 'NSsid', path) : [0];
  // A task reaped while the kernel wrote this text: Pid: still names it (the pid of the /proc inode), but the
  // NS lines read 0, since task_pid_nr_ns() of a task no longer pid_alive() is 0 (fs/proc/array.c, task_state).
  // It has gone, as if the read had failed.
  if (nsPids[0] === 0 && pid !== 0) throw systemError(constants.errno.ESRCH, 'read', path);
  if (nsPids[0] !== pid || nsProcessGroups.length !== nsPids.length || nsSessions.length !== nsPids.length) {
    throw new ProcfsParseError('NSpid, NSpgid and NSsid disagree', path);
  }
  return {
    pid,
    comm: fields.get('Name') ?? '',
    state: state[1] ?? '?',
    ppid: number('PPid'),
    realUid: Number(uid[1]),
    threads: number('Threads'),
    nsPids,
    nsProcessGroups,
    nsSessions,
  };
}

/** The inode of a `pid:[4026531836]` link. */
export function parseNamespaceLink(link: string): number | null {
  const match = /^pid:\[(\d+)\]$/.exec(link);
  return match ? Number(match[1]) : null;
}

function threadLevels(pid: number, nested: boolean): number[][] {
  const ids = readdirSync(`/proc/${pid}/task`).map(Number).filter((id) => id !== pid);
  if (!nested) return ids.map((id) => [id]);
  return ids.flatMap((id) => {
    const path = `/proc/${pid}/task/${id}/status`;
    try {
      return [parseCensusStatus(readFileSync(path, 'utf8'), path).nsPids];
    } catch (error) {
      if (isVanishedProcess(error)) return []; // the thread exited meanwhile
      throw error;
    }
  });
}

function namespacesOf(pid: number, depth: number, resolve: NamespaceChainResolver | undefined): number[] | null {
  if (depth === 0) return [];
  let innermost: number | null;
  try {
    innermost = parseNamespaceLink(readlinkSync(`/proc/${pid}/ns/pid`));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'ENOENT') return null;
    throw error;
  }
  if (innermost === null) return null;
  if (depth === 1) return [innermost];
  const chain = resolve?.(pid) ?? null;
  return chain !== null && chain.length === depth && chain[depth - 1] === innermost ? chain : null;
}

/**
 * Reads every process once. `known` supplies status texts already read this call. Processes and threads that
 * exit during the walk are skipped. `resolveChain` identifies the namespaces of processes nested two or more
 * levels deep (without it they count as unidentified). `statusTexts`, when given, keeps every status text
 * read, for a caller that needs them again in the same scan.
 */
export function readTaskCensus(
  known: ReadonlyMap<number, string> = new Map(), resolveChain?: NamespaceChainResolver, statusTexts?: Map<number, string>,
): TaskCensus {
  const processes: CensusProcess[] = [];
  let unidentified = 0;
  for (const pid of listPids()) {
    const path = `/proc/${pid}/status`;
    try {
      const text = known.get(pid) ?? readFileSync(path, 'utf8');
      statusTexts?.set(pid, text);
      const parsed = parseCensusStatus(text, path);
      const depth = parsed.nsPids.length - 1;
      const namespaces = namespacesOf(pid, depth, resolveChain);
      if (namespaces === null) unidentified++;
      const otherThreadNsPids = parsed.threads > 1 ? threadLevels(pid, depth > 0) : [];
      processes.push({ ...parsed, otherThreadNsPids, namespaces });
    } catch (error) {
      if (isVanishedProcess(error)) continue;
      throw error;
    }
  }
  return { processes, unidentified };
}
