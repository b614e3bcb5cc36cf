// The no-touch task trial: one tiny task created where the target's next fork would create one, which exits at
// once (native/task-trial.cc). Its clone meets every check copy_process() makes for the target's fork except
// RLIMIT_NPROC, which is about the creating task's real uid and stays a model check.
import { readdirSync, readlinkSync } from 'node:fs';
import { constants } from 'node:os';
import { native } from './binding';
import { errnoName } from './errors';
import type { TaskTrialReport } from './model/report';
import { parseNamespaceLink } from './procfs/census';

/** Where the trial task goes: the target's pids cgroup, when it has a limit. */
export interface TrialCgroup {
  version: 1 | 2;
  /** The target's own cgroup directory (v2: the task is created there with CLONE_INTO_CGROUP). */
  directory: string;
  limited: boolean;
}

/** The errno's name, as Node's system errors give it (EAGAIN, not its alias EWOULDBLOCK). */
function codeOf(negative: number): string {
  return errnoName(-negative);
}

function readNamespace(path: string): number | null {
  try {
    return parseNamespaceLink(readlinkSync(path));
  } catch {
    return null;
  }
}

/**
 * After unshare(CLONE_NEWPID) a process's children go to a namespace that has no init until its first child:
 * a trial task would become that init, and its exit would end the namespace. True when no process lives there.
 */
function namespaceAwaitsInit(pid: number): boolean {
  const active = readNamespace(`/proc/${pid}/ns/pid`);
  const forChildren = readNamespace(`/proc/${pid}/ns/pid_for_children`);
  if (forChildren === null || active === forChildren) return false;
  for (const name of readdirSync('/proc')) {
    if (/^\d+$/.test(name) && readNamespace(`/proc/${name}/ns/pid`) === forChildren) return false;
  }
  return true;
}

const COVERS = ['pid-max (every namespace level)', 'threads-max'];

function skipped(reason: string, cgroup: TaskTrialReport['cgroup'], modelOnly: string[]): TaskTrialReport {
  return { ran: false, ok: null, skipped: reason, pidMax: null, namespace: null, cgroup, covers: [], modelOnly };
}

/** Runs the task trial for `pid`. Never throws for a missing right: the report says why it was skipped. */
export function runTaskTrial(pid: number, cgroup: TrialCgroup | null): TaskTrialReport {
  const modelOnly = ['rlimit-nproc (it counts the tasks of the forking task\'s real uid; the trial task is created with canfork\'s)'];
  let cgroupMode: TaskTrialReport['cgroup'] = 'none';
  let directory = '';
  if (cgroup?.limited && cgroup.version === 2) {
    cgroupMode = 'trial';
    directory = cgroup.directory;
  } else if (cgroup?.limited) {
    cgroupMode = 'model';
    modelOnly.push('cgroup-pids (cgroup v1 has no CLONE_INTO_CGROUP, and a task moved in afterwards would take a slot itself)');
  }
  if (namespaceAwaitsInit(pid)) {
    return skipped(`process ${pid} unshared a pid namespace that has no process yet: a trial task would become its init`, cgroupMode, modelOnly);
  }
  let result = native.taskTrial(pid, directory);
  // No right to create a task in that cgroup (cgroup.procs not writable, or a delegation boundary): the pid and
  // thread checks still run, in canfork's own cgroup, and the cgroup limit stays the model's.
  const cgroupRefused = [constants.errno.EACCES, constants.errno.EPERM, constants.errno.EBUSY, constants.errno.EOPNOTSUPP];
  if (directory !== '' && result.syscall === 'clone3' && cgroupRefused.includes(-result.errno)) {
    modelOnly.push(`cgroup-pids (creating a task in ${directory} was refused: ${codeOf(result.errno)})`);
    cgroupMode = 'model';
    result = native.taskTrial(pid, '');
  }
  const namespace = result.namespace > 0 ? result.namespace : null;
  const covers = cgroupMode === 'trial' ? [...COVERS, 'cgroup-pids'] : COVERS;
  if (result.errno === 0) {
    return { ran: true, ok: true, pidMax: result.pidMax > 0 ? result.pidMax : null, namespace, cgroup: cgroupMode, covers, modelOnly };
  }
  const code = codeOf(result.errno);
  if (result.syscall === 'clone3' && (code === 'EAGAIN' || code === 'ENOMEM')) {
    return { ran: true, ok: false, code, pidMax: null, namespace, cgroup: cgroupMode, covers, modelOnly };
  }
  const why: Record<string, string> = {
    open: `cannot open ${result.path} (${code}): reading another user's namespaces needs ptrace-read rights`,
    setns: `cannot enter pid namespace pid:[${namespace ?? '?'}] (${code}): that needs CAP_SYS_ADMIN over it`,
    clone3: `clone3 failed with ${code}${code === 'ENOSYS' ? ' (Linux 5.3 or later is needed)' : ''}`,
  };
  if (result.syscall === 'open' && code === 'ENOENT') return skipped(`process ${pid} exited`, cgroupMode, modelOnly);
  return skipped(why[result.syscall] ?? `${result.syscall} failed with ${code}`, cgroupMode, modelOnly);
}
