// canFork(): read (src/procfs) → decide (src/model) → report. The only place that does I/O for the answer.
// Cost is kept independent of RSS: /proc/PID/maps bounds what fork can charge, and /proc/PID/smaps (whose
// generation walks page tables) is read only when those bounds come near a limit or `exact` asks for it.
import { readFileSync } from 'node:fs';
import { constants, release } from 'node:os';
import { tryAllocate } from './mmap';
import { accountableVmas, decideMemory, isKernelBefore52, summariseVmas, type MemoryDecision, type MemoryInput } from './model/memory';
import type { CgroupPidsLevel, ForkReport, ForkWarning, MachineSummary } from './model/report';
import { CAP_SYS_ADMIN, decideTasks, hasCapability, pidsInUseNeeded, RESERVED_PIDS, uidTasksNeeded, type TasksInput } from './model/tasks';
import { combineDecisions } from './model/verdict';
import { getrlimit } from './rlimit';
import { pageBytes } from './procfs/auxv';
import { locatePidsCgroup, parseCgroupMounts, parseProcCgroup, readPidsLevels, type CgroupMount } from './procfs/cgroup';
import { parseLimits } from './procfs/limits';
import { readLoadavg, type Loadavg } from './procfs/loadavg';
import { parseSmaps, summarisePrivateVmas } from './procfs/maps';
import { readMeminfo } from './procfs/meminfo';
import { countPidsInUse } from './procfs/pids';
import { readProcessFile, readPublicProcessFile } from './procfs/process-file';
import { countTasksOfUid, readTaskOwners, type TaskOwner } from './procfs/processes';
import { parseStatus } from './procfs/status';
import { readKernelSysctls, readOvercommitMode, readReserveSysctls, type KernelSysctls } from './procfs/sysctl';
import { optionalBoolean, validateOptions, validatePid } from './validate';

export interface CanForkOptions {
  /** The process to judge; defaults to this one. */
  pid?: number;
  /** Also run the no-touch trial allocation of what the fork would charge (in this process). */
  trial?: boolean;
  /** Read VmFlags from /proc/PID/smaps and count the uid's tasks even when cheaper reads settle the answer. */
  exact?: boolean;
}

/**
 * The machine-wide files an answer depends on, read once. canFork() reads a fresh one per call; the CLI judges
 * every process of one scan against the same one (a consistent picture, and each file read once per scan).
 */
export interface MachineSnapshot {
  /** Everything of MemoryInput that is not about the process: overcommit mode, meminfo figures, reserves. */
  memory: MachineMemory;
  kernel: KernelSysctls;
  loadavg: Loadavg;
  /** The cgroup mounts of this process's mount namespace (/proc/self/mountinfo). */
  cgroupMounts: CgroupMount[];
  /** Every process's real uid and threads: read on first need, at most once per snapshot. */
  taskOwners: TaskOwner[] | null;
  /** Pid numbers in use from RESERVED_PIDS to pid_max − 1: counted on first need, at most once per snapshot. */
  pidsInUse: number | null;
}

type MachineMemory = Omit<MemoryInput, 'capSysAdmin' | 'totalVmBytes' | 'vmaCharges' | 'vmasExact'>;

/** The MachineSummary of a snapshot (or of its machine-wide parts): what the CLI shows above its rows. */
export function snapshotSummary({ memory, kernel, loadavg }: Pick<MachineSnapshot, 'memory' | 'kernel' | 'loadavg'>): MachineSummary {
  return {
    overcommit: memory.overcommit,
    totalRamBytes: memory.memTotalBytes,
    totalSwapBytes: memory.swapTotalBytes,
    commitLimitBytes: memory.commitLimitBytes,
    committedBytes: memory.committedBytes,
    threads: { current: loadavg.threads, max: kernel.threadsMax },
    // Every task holds a pid; nr_threads counts them (in the initial pid namespace).
    pids: { current: loadavg.threads, max: kernel.pidMax },
  };
}

/** The machine-wide numbers of every answer: overcommit mode, RAM, swap, commit counters, thread and pid counts. */
export function machineSummary(): MachineSummary {
  return snapshotSummary({ memory: readMachineMemory(), kernel: readKernelSysctls(), loadavg: readLoadavg() });
}

/** meminfo and the overcommit sysctls, as the memory rules take them. */
function readMachineMemory(): MachineMemory {
  const meminfo = readMeminfo();
  const overcommit = readOvercommitMode();
  const kernelBefore52 = isKernelBefore52(release());
  // The reserves only count in mode 2 and in the pre-5.2 mode 0; elsewhere two file reads are saved.
  const reserves = overcommit === 2 || (overcommit === 0 && kernelBefore52)
    ? readReserveSysctls()
    : { adminReserveKbytes: 0, userReserveKbytes: 0 };
  return {
    overcommit,
    kernelBefore52,
    pageBytes: pageBytes(),
    memTotalBytes: meminfo.memTotalBytes,
    swapTotalBytes: meminfo.swapTotalBytes,
    commitLimitBytes: meminfo.commitLimitBytes,
    committedBytes: meminfo.committedBytes,
    freeEstimateBytes: meminfo.memFreeBytes + meminfo.buffersBytes + meminfo.cachedBytes + meminfo.swapCachedBytes -
      meminfo.shmemBytes + meminfo.swapFreeBytes + meminfo.sReclaimableBytes,
    ...reserves,
  };
}

/** Reads the machine-wide files once (internal: canFork() and the CLI's scan). */
export function readMachineSnapshot(): MachineSnapshot {
  const mountsPath = '/proc/self/mountinfo';
  return {
    memory: readMachineMemory(),
    kernel: readKernelSysctls(),
    loadavg: readLoadavg(),
    cgroupMounts: parseCgroupMounts(readFileSync(mountsPath, 'utf8'), mountsPath),
    taskOwners: null,
    pidsInUse: null,
  };
}

function unreadable(path: string, code: string, consequence: string): ForkWarning {
  return { cause: 'unreadable', message: `open ${code} ${path}: ${consequence}` };
}

type ProcessMemoryInput = Omit<MemoryInput, 'vmaCharges' | 'vmasExact'>;

/** maps first; smaps only when the maps bound is not enough (or `exact`). */
function judgeMemory(pid: number, base: ProcessMemoryInput, exact: boolean): MemoryDecision & { extraWarnings: ForkWarning[] } {
  const extraWarnings: ForkWarning[] = [];
  const maps = readProcessFile(pid, 'maps');
  if ('denied' in maps) {
    extraWarnings.push(unreadable(maps.path, maps.denied, 'VMAs unknown'));
    return { ...decideMemory({ ...base, vmaCharges: null, vmasExact: false }), extraWarnings };
  }
  const bounded = decideMemory({ ...base, vmaCharges: summarisePrivateVmas(maps.text, base.pageBytes, maps.path), vmasExact: false });
  const settled = base.overcommit === 1 || (bounded.reasons.length === 0 && !bounded.nearLimit && !bounded.unknown);
  if (settled && !exact) return { ...bounded, extraWarnings };
  const smaps = readProcessFile(pid, 'smaps');
  if ('denied' in smaps) {
    extraWarnings.push(unreadable(smaps.path, smaps.denied, 'VmFlags unknown'));
    return { ...(settled ? bounded : decideMemory({ ...base, vmaCharges: null, vmasExact: false })), extraWarnings };
  }
  const charged = summariseVmas(accountableVmas(parseSmaps(smaps.text, smaps.path)), base.pageBytes);
  return { ...decideMemory({ ...base, vmaCharges: charged, vmasExact: true }), extraWarnings };
}

function judgeCgroup(pid: number, mounts: CgroupMount[], warnings: ForkWarning[]): { cgroup: TasksInput['cgroup']; unknown: boolean } {
  const membership = readPublicProcessFile(pid, 'cgroup');
  const placement = locatePidsCgroup(parseProcCgroup(membership.text, membership.path), mounts);
  if (placement === null) return { cgroup: null, unknown: false };
  let levels: CgroupPidsLevel[];
  try {
    levels = readPidsLevels(placement);
  } catch (error) {
    const { code, path } = error as NodeJS.ErrnoException;
    if (code !== 'EACCES' && code !== 'EPERM') throw error;
    warnings.push(unreadable(path ?? placement.path, code, 'pids cgroup limits unknown'));
    return { cgroup: null, unknown: true };
  }
  return { cgroup: { version: placement.version, path: placement.path, levels }, unknown: false };
}

function runTrial(bytes: number, memoryFails: boolean, warnings: ForkWarning[]): NonNullable<ForkReport['trial']> {
  if (bytes <= 0) return { bytes: 0, ok: true };
  const result = tryAllocate(bytes);
  if (result.ok === memoryFails) {
    warnings.push({
      cause: 'trial-disagrees',
      message: `the trial allocation of ${bytes} bytes ${result.ok ? 'succeeded' : 'failed'} although the model says fork would ` +
        `${memoryFails ? 'fail' : 'pass'} the memory check (reserves differ between processes; the counters move)`,
    });
  }
  return result.ok ? { bytes, ok: true } : { bytes, ok: false, code: result.code };
}

/**
 * Whether `pid` (default: this process) could fork now, and why not. A fork that would fail is a verdict,
 * not an exception.
 * @throws TypeError ERR_INVALID_ARG_TYPE / RangeError ERR_OUT_OF_RANGE for bad options; system error ESRCH
 *   when there is no such process.
 */
export function canFork(options?: CanForkOptions): ForkReport {
  const checked = checkOptions(options);
  return judgeProcess(readMachineSnapshot(), checked);
}

/**
 * canFork() against a snapshot read before (internal: the CLI's scan reads one for all its processes).
 * `statusText`: /proc/PID/status as the caller has just read it (the scan reads it first to leave kernel
 * threads out), so that each file is read once per process.
 */
export function canForkWithSnapshot(machine: MachineSnapshot, options?: CanForkOptions, statusText?: string): ForkReport {
  return judgeProcess(machine, checkOptions(options), statusText);
}

function checkOptions(options: CanForkOptions | undefined): { pid: number; trial: boolean; exact: boolean } {
  const { pid: pidOption, trial: trialOption, exact: exactOption } = validateOptions(options);
  if (pidOption !== undefined) validatePid(pidOption, 'options.pid');
  const trial = optionalBoolean(trialOption, 'options.trial');
  const exact = optionalBoolean(exactOption, 'options.exact');
  return { pid: pidOption ?? process.pid, trial, exact };
}

/** RLIMIT_NPROC of `pid`: getrlimit(2) for this process (the same signal->rlim, without a file to read and parse). */
function processNproc(pid: number): { soft: number; hard: number } {
  if (pid === process.pid) return getrlimit('nproc');
  const limitsFile = readPublicProcessFile(pid, 'limits');
  return parseLimits(limitsFile.text, limitsFile.path).nproc;
}

function judgeProcess(
  machine: MachineSnapshot,
  { pid, trial, exact }: { pid: number; trial: boolean; exact: boolean },
  statusText?: string,
): ForkReport {
  const statusFile = statusText === undefined ? readPublicProcessFile(pid, 'status') : { text: statusText, path: `/proc/${pid}/status` };
  const status = parseStatus(statusFile.text, statusFile.path);
  const nproc = processNproc(pid);

  const memoryBase: ProcessMemoryInput = {
    ...machine.memory,
    capSysAdmin: hasCapability(status.capEff, CAP_SYS_ADMIN),
    totalVmBytes: status.totalVmBytes,
  };
  const memory = judgeMemory(pid, memoryBase, exact);

  const cgroupWarnings: ForkWarning[] = [];
  const cgroup = judgeCgroup(pid, machine.cgroupMounts, cgroupWarnings);
  const tasksBase: Omit<TasksInput, 'uidTasks' | 'pidsInUse'> = {
    realUid: status.realUid,
    capEff: status.capEff,
    nprocSoft: nproc.soft,
    nprocHard: nproc.hard,
    machineTasks: machine.loadavg.threads,
    threadsMax: machine.kernel.threadsMax,
    pidMax: machine.kernel.pidMax,
    cgroup: cgroup.cgroup,
  };
  let uidTasks: number | null = null;
  if (exact || uidTasksNeeded(tasksBase)) {
    // The status text just read stands in for this process's entry (each /proc file is read once per answer).
    machine.taskOwners ??= readTaskOwners(new Map([[pid, statusFile.text]]));
    uidTasks = countTasksOfUid(machine.taskOwners, status.realUid);
  }
  if (exact || pidsInUseNeeded(tasksBase)) {
    machine.pidsInUse ??= countPidsInUse(RESERVED_PIDS, tasksBase.pidMax);
  }
  const tasks = decideTasks({ ...tasksBase, uidTasks, pidsInUse: machine.pidsInUse });

  const combined = combineDecisions([
    { ...memory, warnings: [...memory.extraWarnings, ...memory.warnings] },
    { ...tasks, warnings: [...cgroupWarnings, ...tasks.warnings], unknown: cgroup.unknown },
  ]);
  const report: ForkReport = {
    pid,
    ok: combined.ok,
    verdict: combined.verdict,
    reasons: combined.reasons,
    warnings: combined.warnings,
    memory: memory.report,
    tasks: tasks.report,
  };
  if (trial) report.trial = runTrial(memory.chargeBytes, memory.reasons.length > 0, report.warnings);
  return report;
}

/** An Error with code 'ENOMEM' or 'EAGAIN' (errno negative, as Node's), syscall 'fork', and the report that explains it. */
export interface ForkError extends Error {
  code: 'ENOMEM' | 'EAGAIN';
  errno: number;
  syscall: 'fork';
  report: ForkReport;
}

/**
 * Throws a {@link ForkError} when canFork() says a fork now would fail; returns quietly otherwise
 * (including 'at-risk' and 'unknown').
 */
export function assertCanFork(options?: CanForkOptions): void {
  const report = canFork(options);
  if (report.ok) return;
  const [first] = report.reasons;
  const code = first?.code ?? 'ENOMEM';
  const causes = report.reasons.map((reason) => `${reason.code} ${reason.cause}: ${reason.message}`).join('; ');
  const error = new Error(`fork of pid ${report.pid} would fail: ${causes}`) as ForkError;
  error.code = code;
  error.errno = -constants.errno[code];
  error.syscall = 'fork';
  error.report = report;
  Error.captureStackTrace(error, assertCanFork);
  throw error;
}
