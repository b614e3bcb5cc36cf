// One answer's reads (internal: canFork() in src/can-fork.ts and the CLI's scan): the machine snapshot, each
// process's files and the trials, read (src/procfs) → decided (src/model) → the ForkReport.
// Cost is kept independent of RSS: /proc/PID/maps bounds what fork can charge, and /proc/PID/smaps (whose
// generation walks page tables) is read only when those bounds come near a limit or `exact` asks for it.
import { release } from 'node:os';
import { tryAllocate } from './mmap';
import { accountableVmas, decideMemory, isKernelBefore52, summariseVmas, VmaTally, type MemoryDecision, type MemoryInput, type VmaCharges } from './model/memory';
import { findHolders } from './model/holders';
import { countPidLevels } from './model/pid-namespaces';
import type { CgroupPidsLevel, ForkReport, ForkWarning, MachineSummary, TaskHolders, TaskTrialReport } from './model/report';
import { CAP_SYS_ADMIN, decideTasks, hasCapability, pidsInUseNeeded, uidTasksNeeded, type TasksInput } from './model/tasks';
import { reconcileTaskTrial } from './model/task-trial';
import { combineDecisions } from './model/verdict';
import { getrlimit } from './rlimit';
import { pageBytes } from './procfs/auxv';
import { locatePidsCgroup, parseCgroupMounts, parseProcCgroup, readPidsLevels, type CgroupMount } from './procfs/cgroup';
import { parseLimits } from './procfs/limits';
import { readLoadavg, type Loadavg } from './procfs/loadavg';
import { parseSmaps, scanPrivateVmas } from './procfs/maps';
import { readMeminfo } from './procfs/meminfo';
import { parseCensusStatus, readTaskCensus, type TaskCensus } from './procfs/census';
import { readMemoryPressure, readOomKills, readOomScore } from './procfs/pressure';
import { keptDescriptorOf, readKeptFile } from './procfs/kept-file';
import { readProcessBytes, readProcessFile, readPublicProcessFile } from './procfs/process-file';
import { countTasksOfUid } from './procfs/processes';
import { parseStatus } from './procfs/status';
import { native } from './binding';
import { runTaskTrial, type TrialCgroup } from './task-trial';
import { readKernelSysctls, readOvercommitMode, readReserveSysctls, type KernelSysctls } from './procfs/sysctl';
import { optionalBoolean, validateOptions, validatePid } from './validate';

export interface CanForkOptions {
  /** The process to judge; defaults to this one. */
  pid?: number;
  /**
   * Also ask the kernel: the no-touch trial allocation of what the fork would charge (in this process), and the
   * task trial, one tiny task created in the target's pid namespace (and cgroup v2) that exits at once.
   */
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
  /** Every process's owner, threads, state and pid numbers per namespace level: read on first need, once per snapshot. */
  census: TaskCensus | null;
  /** The OOM side: MemAvailable, memory PSI, the OOM killer's count. */
  /** MemAvailable (meminfo is read anyway); PSI and vmstat are read only for a summary, which needs them. */
  oom: { availableBytes: number };
}

type MachineMemory = Omit<MemoryInput, 'capSysAdmin' | 'totalVmBytes' | 'vmaCharges' | 'vmasExact'>;

/** The MachineSummary of a snapshot (or of its machine-wide parts): what the CLI shows above its rows. */
export function snapshotSummary({ memory, kernel, loadavg, oom, census }: Pick<MachineSnapshot, 'memory' | 'kernel' | 'loadavg' | 'oom'> & { census?: TaskCensus | null }): MachineSummary {
  return {
    overcommit: memory.overcommit,
    totalRamBytes: memory.memTotalBytes,
    totalSwapBytes: memory.swapTotalBytes,
    commitLimitBytes: memory.commitLimitBytes,
    committedBytes: memory.committedBytes,
    threads: { current: loadavg.threads, max: kernel.threadsMax },
    // Every task holds a pid; nr_threads counts the tasks (in the initial pid namespace), a floor of the pids in use.
    pids: { tasks: loadavg.threads, max: kernel.pidMax, current: loadavg.threads },
    ...oom,
    memoryPressure: readMemoryPressure(),
    oomKills: readOomKills(),
    ...(census ? { zombieParents: holdersOf(census).zombieParents } : {}),
  };
}

/** The MachineSummary read now: meminfo, the sysctls and loadavg, without a whole snapshot. */
export function readMachineSummary(): MachineSummary {
  const { memory, oom } = readMachineMemory();
  return snapshotSummary({ memory, oom, kernel: readKernelSysctls(), loadavg: readLoadavg() });
}

// The running kernel cannot change under us: its release is read once (uname on every call otherwise).
let kernelBefore52Cache: boolean | undefined;

/** meminfo and the overcommit sysctls, as the memory rules take them. */
function readMachineMemory(): { memory: MachineMemory; oom: MachineSnapshot['oom'] } {
  const meminfo = readMeminfo();
  const overcommit = readOvercommitMode();
  const kernelBefore52 = (kernelBefore52Cache ??= isKernelBefore52(release()));
  // The reserves only count in mode 2 and in the pre-5.2 mode 0; elsewhere two file reads are saved.
  const reserves = overcommit === 2 || (overcommit === 0 && kernelBefore52)
    ? readReserveSysctls()
    : { adminReserveKbytes: 0, userReserveKbytes: 0 };
  const memory: MachineMemory = {
    overcommit,
    kernelBefore52,
    pageBytes: pageBytes(),
    memTotalBytes: meminfo.memTotalBytes,
    swapTotalBytes: meminfo.swapTotalBytes,
    commitLimitBytes: meminfo.commitLimitBytes,
    committedBytes: meminfo.committedBytes,
    freeEstimateBytes: meminfo.memFreeBytes + meminfo.buffersBytes + meminfo.cachedBytes + meminfo.swapCachedBytes -
      meminfo.shmemBytes + meminfo.swapFreeBytes + meminfo.sReclaimableBytes,
    adminReserveKbytes: reserves.adminReserveKbytes,
    userReserveKbytes: reserves.userReserveKbytes,
  };
  // Without MemAvailable (before 3.14) the estimate the pre-5.2 heuristic used stands in.
  const oom = { availableBytes: meminfo.availableBytes ?? memory.freeEstimateBytes };
  return { memory, oom };
}

// mountinfo changes only when something is mounted or unmounted, and its kept descriptor says when: a mounts file
// polls POLLPRI once after each change to its namespace's table, counted from its open and from the last poll that
// said so (fs/proc_namespace.c mounts_poll; docs/kernel-rules.md §7). So the parse of the text read after the open
// stands until a poll says otherwise: a poll of about 0.3 µs in place of a read of about 12 (the kernel formats every
// mount) and a compare (bench/canfork-reads.mjs). Frozen, as snapshots share it.
const MOUNTINFO = '/proc/self/mountinfo';
let keptMounts: { fd: number; mounts: CgroupMount[] } | null = null;

function readCgroupMounts(): CgroupMount[] {
  // Another descriptor (the kept one was let go and reopened) has a count of its own: its text is read again.
  if (keptMounts !== null && keptMounts.fd === keptDescriptorOf(MOUNTINFO) && native.mountsChanged(keptMounts.fd) === 0) {
    return keptMounts.mounts;
  }
  // Forgotten first: the poll that said 1 has reset the count, so a read or parse that throws must not leave it.
  keptMounts = null;
  const mounts = parseCgroupMounts(readKeptFile(MOUNTINFO), MOUNTINFO);
  for (const mount of mounts) Object.freeze(Object.freeze(mount).superOptions);
  keptMounts = { fd: keptDescriptorOf(MOUNTINFO) ?? -1, mounts: Object.freeze(mounts) as CgroupMount[] };
  return keptMounts.mounts;
}

/** Reads the machine-wide files once (internal: canFork() and the CLI's scan). */
export function readMachineSnapshot(): MachineSnapshot {
  const { memory, oom } = readMachineMemory();
  return {
    memory,
    oom,
    kernel: readKernelSysctls(),
    loadavg: readLoadavg(),
    cgroupMounts: readCgroupMounts(),
    census: null,
  };
}

function unreadable(path: string, code: string, consequence: string): ForkWarning {
  return { cause: 'unreadable', message: `open ${code} ${path}: ${consequence}` };
}

// canFork()'s objects are built field by field, not as {...object, more}, which Node 20's V8 copies on a slow path
// and Node 24's does not: an answer made several, and canFork() took 251 µs where it now takes 213 on Node 20, 226
// against 224 on Node 24 (median, bench/spawn-ab.mjs, 49e5543 against 4c2790f).
/** The memory rules' input for one process: the machine's numbers and its own, its VMAs not read yet. */
function processMemoryInput(machine: MachineMemory, capSysAdmin: boolean, totalVmBytes: number | null): MemoryInput {
  return {
    overcommit: machine.overcommit,
    kernelBefore52: machine.kernelBefore52,
    pageBytes: machine.pageBytes,
    memTotalBytes: machine.memTotalBytes,
    swapTotalBytes: machine.swapTotalBytes,
    commitLimitBytes: machine.commitLimitBytes,
    committedBytes: machine.committedBytes,
    freeEstimateBytes: machine.freeEstimateBytes,
    adminReserveKbytes: machine.adminReserveKbytes,
    userReserveKbytes: machine.userReserveKbytes,
    capSysAdmin,
    totalVmBytes,
    vmaCharges: null,
    vmasExact: false,
  };
}

/**
 * The private VMAs of a /proc/PID/maps text summarised in one pass: the same VmaCharges as parseMaps, then
 * possiblyAccountableVmas and summariseVmas give, without an object per VMA. An upper bound of what fork charges.
 * The bytes as read; a string (a fixture) is taken as its UTF-8 encoding.
 */
export function summarisePrivateVmas(maps: Buffer | string, pageBytes: number, path?: string): VmaCharges {
  const tally = new VmaTally(pageBytes);
  scanPrivateVmas(typeof maps === 'string' ? Buffer.from(maps) : maps, tally, path);
  return tally.charges();
}

/** Decides with `input`'s VMAs as `vmaCharges` gives them (`input` is the caller's own: only these two fields change). */
function decideWith(input: MemoryInput, vmaCharges: VmaCharges | null, vmasExact: boolean): MemoryDecision {
  input.vmaCharges = vmaCharges;
  input.vmasExact = vmasExact;
  return decideMemory(input);
}

/** maps first; smaps only when the maps bound is not enough (or `exact`). What could not be read goes into `warnings`. */
function judgeMemory(pid: number, input: MemoryInput, exact: boolean, warnings: ForkWarning[]): MemoryDecision {
  const maps = readProcessBytes(pid, 'maps');
  if ('denied' in maps) {
    warnings.push(unreadable(maps.path, maps.denied, 'VMAs unknown'));
    return decideWith(input, null, false);
  }
  const bounded = decideWith(input, summarisePrivateVmas(maps.bytes, input.pageBytes, maps.path), false);
  const settled = input.overcommit === 1 || (bounded.reasons.length === 0 && !bounded.nearLimit && !bounded.unknown);
  if (settled && !exact) return bounded;
  const smaps = readProcessFile(pid, 'smaps');
  if ('denied' in smaps) {
    warnings.push(unreadable(smaps.path, smaps.denied, 'VmFlags unknown'));
    return settled ? bounded : decideWith(input, null, false);
  }
  const charged = summariseVmas(accountableVmas(parseSmaps(smaps.text, smaps.path)), input.pageBytes);
  return decideWith(input, charged, true);
}

function judgeCgroup(pid: number, mounts: CgroupMount[], warnings: ForkWarning[]): { cgroup: TasksInput['cgroup']; unknown: boolean; trial: TrialCgroup | null } {
  const membership = readPublicProcessFile(pid, 'cgroup');
  const placement = locatePidsCgroup(parseProcCgroup(membership.text, membership.path), mounts);
  if (placement === null) return { cgroup: null, unknown: false, trial: null };
  let levels: CgroupPidsLevel[];
  try {
    levels = readPidsLevels(placement);
  } catch (error) {
    const { code, path } = error as NodeJS.ErrnoException;
    if (code !== 'EACCES' && code !== 'EPERM') throw error;
    warnings.push(unreadable(path ?? placement.path, code, 'pids cgroup limits unknown'));
    return { cgroup: null, unknown: true, trial: null };
  }
  const own = placement.levels[0];
  const trial = own ? { version: placement.version, directory: own.directory, limited: levels.some((level) => level.max !== Infinity) } : null;
  return { cgroup: { version: placement.version, path: placement.path, levels }, unknown: false, trial };
}

function runMemoryTrial(bytes: number, memoryFails: boolean, warnings: ForkWarning[]): NonNullable<ForkReport['trial']> {
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
 * canFork() against a snapshot read before (internal: the CLI's scan reads one for all its processes).
 * `statusText`: /proc/PID/status as the caller has just read it (the scan reads it first to leave kernel
 * threads out), so that each file is read once per process.
 */
export function canForkWithSnapshot(machine: MachineSnapshot, options?: CanForkOptions, statusText?: string): ForkReport {
  return judgeProcess(machine, checkCanForkOptions(options), statusText);
}

/** The options of canFork() validated, with their defaults. */
export interface CheckedCanForkOptions {
  pid: number;
  trial: boolean;
  exact: boolean;
}

/** Validates canFork()'s options (before anything is read). */
export function checkCanForkOptions(options: CanForkOptions | undefined): CheckedCanForkOptions {
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

// Holders per census and scope, found once: a CLI scan may ask for them for every process it judges.
const holdersFound = new WeakMap<TaskCensus, Map<string, TaskHolders>>();

function holdersOf(census: TaskCensus, scope?: { level: number; namespace: number }): TaskHolders {
  const key = scope ? `${scope.level}:${scope.namespace}` : 'machine';
  let found = holdersFound.get(census);
  if (!found) holdersFound.set(census, (found = new Map()));
  let holders = found.get(key);
  if (!holders) found.set(key, (holders = findHolders(census, scope)));
  // A copy per report: callers may change their report in place.
  return structuredClone(holders);
}

/** The namespace chain of a process two or more levels down (NS_GET_PARENT), or null when unreadable. */
export function namespaceChainOf(pid: number): number[] | null {
  const chain = native.pidNamespaceChain(pid);
  return typeof chain === 'number' ? null : chain;
}

/** The answer for one process against `machine`; `statusText` as for canForkWithSnapshot(). */
export function judgeProcess(
  machine: MachineSnapshot,
  { pid, trial, exact }: CheckedCanForkOptions,
  statusText?: string,
): ForkReport {
  const statusFile = statusText === undefined ? readPublicProcessFile(pid, 'status') : { text: statusText, path: `/proc/${pid}/status` };
  const status = parseStatus(statusFile.text, statusFile.path);
  // NSpid alone says whether the process is in a nested namespace; the rest of the census fields only then.
  const nested = /^NSpid:\t\d+\t/m.test(statusFile.text);
  const levelIds = nested ? parseCensusStatus(statusFile.text, statusFile.path) : { nsPids: [pid] };
  const nproc = processNproc(pid);

  const memoryWarnings: ForkWarning[] = [];
  const memoryInput = processMemoryInput(machine.memory, hasCapability(status.capEff, CAP_SYS_ADMIN), status.totalVmBytes);
  const memory = judgeMemory(pid, memoryInput, exact, memoryWarnings);

  const cgroupWarnings: ForkWarning[] = [];
  const cgroup = judgeCgroup(pid, machine.cgroupMounts, cgroupWarnings);
  // The task trial first: a pid_max it reads inside the target's namespace is one the model cannot read from here.
  const taskTrial: TaskTrialReport | undefined = trial ? runTaskTrial(pid, cgroup.trial) : undefined;
  // Counted below only where a limit comes near (or `exact`); until then the machine's counts bound them.
  const tasksInput: TasksInput = {
    realUid: status.realUid,
    capEff: status.capEff,
    nprocSoft: nproc.soft,
    nprocHard: nproc.hard,
    machineTasks: machine.loadavg.threads,
    threadsMax: machine.kernel.threadsMax,
    pidMax: machine.kernel.pidMax,
    cgroup: cgroup.cgroup,
    uidTasks: null,
  };
  // The status text just read stands in for this process's entry (each /proc file is read once per answer).
  const census = (): TaskCensus => (machine.census ??= readTaskCensus(new Map([[pid, statusFile.text]]), namespaceChainOf));
  if (exact || uidTasksNeeded(tasksInput)) tasksInput.uidTasks = countTasksOfUid(census().processes, status.realUid);
  if (exact || nested || pidsInUseNeeded(tasksInput)) {
    const namespaces = nested ? census().processes.find((entry) => entry.pid === pid)?.namespaces ?? null : [];
    const pidMaxByLevel: (number | null)[] = levelIds.nsPids.map((_, level) => (level === 0 ? machine.kernel.pidMax : null));
    const sources: ('sysctl' | 'trial' | null)[] = pidMaxByLevel.map((value) => (value === null ? null : 'sysctl'));
    const innermost = levelIds.nsPids.length - 1;
    if (nested && taskTrial?.pidMax && namespaces !== null && taskTrial.namespace === namespaces[innermost - 1]) {
      pidMaxByLevel[innermost] = taskTrial.pidMax;
      sources[innermost] = 'trial';
    }
    tasksInput.pidLevels = countPidLevels(census(), { nsPids: levelIds.nsPids, namespaces, pidMaxByLevel, pidMaxSourceByLevel: sources });
  }
  let tasks = decideTasks(tasksInput);
  if (taskTrial) tasks = reconcileTaskTrial(tasks, taskTrial);
  // Name who holds the tasks when a machine- or namespace-wide task limit decides or comes near (the census,
  // a walk of all /proc, may be read only now); a nearly full pids cgroup alone does not start that walk.
  if (tasks.holdersMatter || exact) {
    // Within the nested namespace that is full (or may be), the parent named is one that fills it.
    const pidFull = tasks.reasons.some((reason) => reason.cause === 'pid-max') ? tasks.pidDeciding : tasks.pidUndecided[0];
    const scope = pidFull && pidFull.level > 0 && pidFull.namespace !== null ? { level: pidFull.level, namespace: pidFull.namespace } : undefined;
    tasks.report.holders = holdersOf(census(), scope);
  }

  const combined = combineDecisions([
    { reasons: memory.reasons, warnings: [...memoryWarnings, ...memory.warnings], nearLimit: memory.nearLimit, unknown: memory.unknown },
    { reasons: tasks.reasons, warnings: [...cgroupWarnings, ...tasks.warnings], nearLimit: tasks.nearLimit, unknown: cgroup.unknown || tasks.unknown },
  ]);
  const report: ForkReport = {
    pid,
    ok: combined.ok,
    verdict: combined.verdict,
    reasons: combined.reasons,
    warnings: combined.warnings,
    memory: memory.report,
    tasks: tasks.report,
    oomScore: readOomScore(pid),
  };
  if (trial) report.trial = { ...runMemoryTrial(memory.chargeBytes, memory.reasons.length > 0, report.warnings), tasks: taskTrial };
  return report;
}
