// Collects the reports the CLI presents: one canFork() per process against one machine snapshot, plus its summary.
// A process that exits mid-scan is skipped; one that cannot be read is kept as "unknown".
import type { ForkReport, MachineSummary } from '../model/report';

/** One reading of the machine-wide numbers, and canFork() of any process against that same reading. */
export interface MachineView {
  summary: MachineSummary;
  canFork(pid: number, options: { trial: boolean; exact: boolean }): ForkReport;
  /**
   * The command name and whether the process has user memory (kernel threads and zombies do not, and
   * never fork from user space); null when the process is gone or unreadable.
   */
  describe(pid: number): { comm: string; userSpace: boolean } | null;
}

/** Where reports come from: the real kernel in main.ts, built objects in the presenter's tests. */
export interface ForkSource {
  /** Reads meminfo, the sysctls, loadavg and the cgroup mounts once: every row of a scan is judged against it. */
  snapshotMachine(): MachineView;
  listPids(): number[];
  /**
   * After a failed read: 'gone' when no such process exists (kill(pid, 0) fails with ESRCH), 'hidden' when it
   * exists but /proc does not show it to us (hidepid, another pid namespace), else 'present'.
   */
  presence(pid: number): ProcessPresence;
  /** The hidepid= option of the /proc mount when it hides other users' processes (then a full scan is partial), else null. */
  procHidepid?(): string | null;
}

export type ProcessPresence = 'present' | 'gone' | 'hidden';

export interface ProcessEntry {
  pid: number;
  /** '' when unknown. */
  comm: string;
  /** null when the process could not be read; `error` then says why. */
  report: ForkReport | null;
  error: { code: string; message: string } | null;
}

export interface Scan {
  machine: MachineSummary;
  processes: ProcessEntry[];
  /** Requested pids that do not exist (ESRCH). */
  missing: number[];
  /** Kernel threads and zombies left out of a full scan. */
  skippedKernelThreads: number;
  /** /proc's hidepid= option when it hides other users' processes from this scan, else null. */
  hidepid: string | null;
  /** How long the scan took. */
  durationSeconds: number;
  takenAt: Date;
}

function errorInfo(error: unknown): { code: string; message: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : error.name, message: error.message };
  }
  return { code: 'UNKNOWN', message: String(error) };
}

export interface ScanOptions {
  /** Processes to report on; requested ones that do not exist go to `missing`. */
  pids: readonly number[];
  /** Every process as well (when `pids` is empty this is implied). */
  all: boolean;
  /** canFork's no-touch trial allocation. */
  trial: boolean;
}

/** The error of a process that exists but that /proc hides from this user: EACCES, never ESRCH. */
export function hiddenError(pid: number): { code: string; message: string } {
  return {
    code: 'EACCES',
    message: `process ${pid} exists but /proc/${pid} is hidden from this user (hidepid, or another pid namespace)`,
  };
}

/**
 * One report per process. Processes found by listing that exit while being read are dropped
 * silently; requested pids that do not exist are listed in `missing`.
 */
export function scan(source: ForkSource, options: ScanOptions): Scan {
  const steps = scanSteps(source, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * As {@link scan}, giving the event loop a turn whenever `sliceMs` of work has passed, so that a server
 * scanning hundreds of processes keeps answering: one process is the unit, a few hundred microseconds.
 */
export async function scanAsync(source: ForkSource, options: ScanOptions, sliceMs = 4): Promise<Scan> {
  const steps = scanSteps(source, options);
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart >= sliceMs) {
      await new Promise((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}

/** The scan, yielding after each process. */
function* scanSteps(source: ForkSource, options: ScanOptions): Generator<void, Scan> {
  const started = process.hrtime.bigint();
  const view = source.snapshotMachine();
  const requested = new Set(options.pids);
  const wanted = options.all || requested.size === 0 ? [...new Set([...source.listPids(), ...requested])] : [...requested];
  const processes: ProcessEntry[] = [];
  const missing: number[] = [];
  let skippedKernelThreads = 0;
  for (const pid of wanted) {
    const described = view.describe(pid);
    if (described !== null && !described.userSpace && !requested.has(pid)) {
      skippedKernelThreads++;
      continue;
    }
    let report: ForkReport | null = null;
    let error: ProcessEntry['error'] = null;
    try {
      // Requested pids get the exact answer (smaps VmFlags); a full scan settles for maps where it can.
      report = view.canFork(pid, { trial: options.trial, exact: requested.has(pid) });
    } catch (caught) {
      error = errorInfo(caught);
    }
    if (error !== null) {
      // ESRCH, or ENOENT and the like from a /proc file of a process that exited between two reads;
      // or a process that exists but that /proc hides (hidepid=2 turns its files into ENOENT as well).
      const presence = source.presence(pid);
      if (presence === 'gone' || (presence === 'present' && error.code === 'ESRCH')) {
        if (requested.has(pid)) missing.push(pid);
        continue;
      }
      if (presence === 'hidden') error = hiddenError(pid);
    }
    processes.push({ pid, comm: described?.comm ?? '', report, error });
    yield;
  }
  const durationSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const hidepid = source.procHidepid?.() ?? null;
  return { machine: view.summary, processes, missing, skippedKernelThreads, hidepid, durationSeconds, takenAt: new Date() };
}
