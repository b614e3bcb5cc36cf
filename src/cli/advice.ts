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

const ADVICE: Record<ForkCause, (report: ForkReport, pid: number) => Advice[]> = {
  'vma-exceeds-ram-swap': memoryAdvice,
  'commit-limit': memoryAdvice,
  'rlimit-nproc': nprocAdvice,
  'cgroup-pids': cgroupAdvice,
  'threads-max': (report) => [{
    step: `sysctl kernel.threads-max=${report.tasks.threads.max * 2}`,
    why: `${formatCount(report.tasks.threads.current)} threads exist machine-wide, kernel threads included; look for a process leaking threads (ps -eLf).`,
  }],
  'pid-max': () => [{
    step: `sysctl kernel.pid_max=${native.constants.PID_MAX_LIMIT}`,
    why: `Every task needs a pid; ${native.constants.PID_MAX_LIMIT} is the largest the kernel allows on 64-bit.`,
  }],
};

/** Steps for every distinct cause in `report.reasons`, or for the nearest limit when the process is at risk. */
export function adviceFor(report: ForkReport, pid: number): Advice[] {
  const causes = [...new Set(report.reasons.map((reason) => reason.cause))];
  if (causes.length === 0 && report.verdict === 'at-risk') causes.push(nearestLimit(report));
  return causes.flatMap((cause) => ADVICE[cause](report, pid));
}
