// "What to do": concrete steps for each kernel check that can fail a fork, with the trade-offs.
import { native } from '../binding';
import type { ForkCause, ForkReport } from '../model/report';
import { nearestLimit } from './rank';
import { formatBytes, formatCount } from './style';

export interface Advice {
  /** What to run or change, as a person would type it. */
  step: string;
  /** Why it works, and what it costs. */
  why: string;
}

function systemdUnit(cgroupPath: string): string | null {
  const unit = cgroupPath.split('/').reverse().find((part) => /\.(service|scope|slice)$/.test(part));
  return unit ?? null;
}

function memoryAdvice(report: ForkReport, pid: number): Advice[] {
  const vma = report.memory.largestAccountable;
  const where = vma ? `the ${formatBytes(vma.bytes)} mapping${vma.path ? ` ${vma.path}` : ''}` : 'its largest mapping';
  return [
    {
      step: 'Spawn children without fork: canfork\'s spawn() (vfork+exec) or posix_spawn.',
      why: 'vfork shares the parent\'s memory, so no mapping is copied or charged and the cost does not grow with the parent\'s size.',
    },
    {
      step: `Mark ${where} with madvise(MADV_DONTFORK) (canfork's mmap(n, { dontfork: true })), or map it MAP_NORESERVE.`,
      why: 'fork skips VM_DONTCOPY areas (dup_mmap); the child does not get that memory. Keeping big allocations in separate, non-adjacent mappings also stops the kernel merging them into one VMA.',
    },
    {
      step: 'sysctl vm.overcommit_memory=1',
      why: 'The kernel stops refusing allocations, fork included. Trade-off: nothing fails early any more, and a machine that runs out of memory resolves it with the OOM killer instead of ENOMEM.',
    },
    {
      step: report.memory.overcommit === 2
        ? 'Add swap, raise vm.overcommit_ratio (or vm.overcommit_kbytes), or stop what holds Committed_AS.'
        : 'Add swap.',
      why: report.memory.overcommit === 2
        ? `CommitLimit is RAM x overcommit_ratio/100 + swap; process ${pid} needs its whole accountable size (${formatBytes(report.memory.accountableBytes)}) under it again.`
        : 'Mode 0 compares each copied mapping with RAM + swap, so more swap raises that bound.',
    },
  ];
}

function nprocAdvice(report: ForkReport, pid: number): Advice[] {
  const { nproc } = report.tasks;
  const next = Math.max(nproc.tasks * 2, nproc.soft * 2, 1024);
  const hard = nproc.hard === Infinity ? 'unlimited' : String(Math.max(nproc.hard, next));
  return [
    {
      step: `prlimit --pid ${pid} --nproc=${next}:${hard}`,
      why: `Raises RLIMIT_NPROC of the running process (uid ${nproc.realUid} owns ${formatCount(nproc.tasks)} tasks, soft limit ${formatCount(nproc.soft)}). Editing /etc/security/limits.conf does not: pam_limits applies it only to new login sessions.`,
    },
    {
      step: `Find what uid ${nproc.realUid} is running: ps -L -u ${nproc.realUid} | wc -l; stop leaked workers or threads.`,
      why: 'RLIMIT_NPROC counts every thread of every process with that real uid, not just this process.',
    },
  ];
}

function cgroupAdvice(report: ForkReport): Advice[] {
  const cgroup = report.tasks.cgroup;
  const full = cgroup?.levels.find((level) => level.current >= level.max) ?? cgroup?.levels[0];
  if (!full) return [];
  const next = Math.max(full.current * 2, 64);
  const advice: Advice[] = [
    {
      step: `echo ${next} > ${full.directory}/pids.max`,
      why: `The pids cgroup ${full.path} holds ${formatCount(full.current)} of ${formatCount(full.max)} tasks; every task in it (and in its children) counts.`,
    },
  ];
  const unit = systemdUnit(full.path);
  if (unit) {
    advice.push({
      step: `systemctl set-property ${unit} TasksMax=${next}`,
      why: 'systemd owns this cgroup and writes pids.max from TasksMax=; change it there so a restart keeps it.',
    });
  }
  return advice;
}

const TASK_CAUSES = new Set<ForkCause>(['rlimit-nproc', 'threads-max', 'pid-max', 'cgroup-pids']);

/** Who holds the tasks, named first: reaping a parent's zombies frees their pids and task slots at once. */
function holderAdvice(report: ForkReport): Advice[] {
  const holders = report.tasks.holders;
  if (!holders) return [];
  const advice: Advice[] = [];
  const [parent] = holders.zombieParents;
  if (parent) {
    advice.push({
      step: `Reap or restart PID ${parent.pid}${parent.comm ? ` (${parent.comm})` : ''}, which holds ${formatCount(parent.count)} zombie${parent.count === 1 ? '' : 's'}.`,
      why: `A zombie keeps its pid (in every pid namespace it is in) and counts as a task until its parent waits for it. The parent must call waitpid(); if it never does, ending it hands the zombies to init, which reaps them.${holders.scope === 'machine' ? '' : ` Counted in ${holders.scope}.`}`,
    });
  }
  const [threads] = holders.threads;
  if (threads && threads.count >= 100) {
    advice.push({
      step: `Look at PID ${threads.pid}${threads.comm ? ` (${threads.comm})` : ''}, which runs ${formatCount(threads.count)} threads.`,
      why: 'Every thread is a task with a pid of its own: it counts against threads-max, pid_max, the pids cgroup and RLIMIT_NPROC like a process.',
    });
  }
  return advice;
}

function pidMaxAdvice(report: ForkReport): Advice[] {
  const levels = report.tasks.pids.levels ?? [];
  const nested = levels.find((level) => level.level > 0 && (level.pidMax === null || level.inRange >= (level.rangeSize ?? Infinity)));
  if (nested) {
    return [{
      step: `echo ${native.constants.PID_MAX_LIMIT} > /proc/sys/kernel/pid_max from inside pid namespace pid:[${nested.namespace ?? '?'}] (where PID ${levels[0]?.pid ?? '?'} is ${nested.pid})`,
      why: 'Since Linux 6.14 every pid namespace has its own pid_max, readable and writable only from inside it. nsenter itself needs a free pid there: reap first when the namespace is full.',
    }];
  }
  return [{
    step: `sysctl kernel.pid_max=${native.constants.PID_MAX_LIMIT}`,
    why: `Every task needs a pid; ${native.constants.PID_MAX_LIMIT} is the largest the kernel allows on 64-bit.`,
  }];
}

const ADVICE: Record<ForkCause, (report: ForkReport, pid: number) => Advice[]> = {
  'vma-exceeds-ram-swap': memoryAdvice,
  'commit-limit': memoryAdvice,
  'rlimit-nproc': nprocAdvice,
  'cgroup-pids': cgroupAdvice,
  'threads-max': (report) => [{
    step: `sysctl kernel.threads-max=${report.tasks.threads.max * 2}`,
    why: `${formatCount(report.tasks.threads.current)} threads exist machine-wide, kernel threads included; look for a process leaking threads (ps -eLf).`,
  }],
  'pid-max': pidMaxAdvice,
};

/** Steps for every distinct cause in `report.reasons`, or for the nearest limit when the process is at risk. */
export function adviceFor(report: ForkReport, pid: number): Advice[] {
  const causes = [...new Set(report.reasons.map((reason) => reason.cause))];
  if (causes.length === 0 && report.verdict === 'at-risk') causes.push(nearestLimit(report));
  const undecidedPids = report.verdict === 'unknown' && report.warnings.some((warning) => warning.cause === 'pid-max-unknown');
  if (undecidedPids && !causes.includes('pid-max')) causes.push('pid-max');
  const holders = causes.some((cause) => TASK_CAUSES.has(cause)) ? holderAdvice(report) : [];
  return [...holders, ...causes.flatMap((cause) => ADVICE[cause](report, pid))];
}
