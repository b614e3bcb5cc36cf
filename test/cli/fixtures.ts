// ForkReport objects built by hand, to test the presenter alone. The numbers are shaped after this
// machine (23.5 GiB RAM, no swap, overcommit mode 0) and the states issue #5 names.
import type { ForkReport, MachineSummary } from '../../src/model/report';
import type { PrometheusOptions } from '../../src/cli/prometheus';
import type { ForkSource, ProcessEntry, Scan } from '../../src/cli/scan';

export const GiB = 2 ** 30;
const ramBytes = 25_199_300_608;

export const machine: MachineSummary = {
  overcommit: 0,
  totalRamBytes: ramBytes,
  totalSwapBytes: 0,
  commitLimitBytes: ramBytes / 2,
  committedBytes: 3 * GiB,
  threads: { current: 412, max: 192_000 },
  pids: { tasks: 412, max: 4_194_304, current: 412 },
};

// A fresh object per report: tests change reports in place.
const heap = () => ({ start: 0x55d0c0000000n, end: 0x55d0c2000000n, bytes: 32 * 2 ** 20, path: '[heap]' });

export function okReport(pid: number, overrides: Partial<ForkReport> = {}): ForkReport {
  return {
    pid,
    ok: true,
    verdict: 'ok',
    reasons: [],
    warnings: [],
    memory: {
      overcommit: 0,
      totalRamBytes: ramBytes,
      totalSwapBytes: 0,
      commitLimitBytes: ramBytes / 2,
      committedBytes: 3 * GiB,
      accountableBytes: 64 * 2 ** 20,
      headroomBytes: ramBytes - 32 * 2 ** 20,
      largestAccountable: heap(),
      largestAccountableVmas: [heap()],
      exact: true,
    },
    tasks: {
      nproc: { realUid: 1000, tasks: 30, soft: 94_000, hard: 94_000, exempt: null, tasksCounted: true },
      threads: { current: 412, max: 192_000 },
      pids: { current: 412, max: 4_194_304 },
      cgroup: { version: 1, path: '/', levels: [{ path: '/', directory: '/sys/fs/cgroup/pids', current: 412, max: Infinity }] },
    },
    ...overrides,
  };
}

/** A process holding one merged 24 GiB accountable VMA: mode 0 refuses the fork with ENOMEM. */
export function bigVmaReport(pid: number): ForkReport {
  const base = okReport(pid);
  const bytes = 24 * GiB;
  const merged = { start: 0x7f0000000000n, end: 0x7f0000000000n + BigInt(bytes), bytes, path: '' };
  return {
    ...base,
    ok: false,
    verdict: 'fails',
    reasons: [{
      code: 'ENOMEM',
      cause: 'vma-exceeds-ram-swap',
      message: 'one accountable VMA is larger than RAM + swap',
      limit: ramBytes,
      value: bytes,
    }],
    memory: {
      ...base.memory,
      accountableBytes: bytes + 64 * 2 ** 20,
      headroomBytes: ramBytes - bytes,
      largestAccountable: merged,
      largestAccountableVmas: [merged, heap()],
    },
  };
}

/** A process in a v1 pids cgroup at its max: EAGAIN. */
export function cgroupFullReport(pid: number): ForkReport {
  const base = okReport(pid);
  return {
    ...base,
    ok: false,
    verdict: 'fails',
    reasons: [{ code: 'EAGAIN', cause: 'cgroup-pids', message: 'the pids cgroup /canfork-test-1 is at pids.max', limit: 2, value: 2 }],
    tasks: {
      ...base.tasks,
      cgroup: {
        version: 1,
        path: '/canfork-test-1',
        levels: [
          { path: '/canfork-test-1', directory: '/sys/fs/cgroup/pids/canfork-test-1', current: 2, max: 2 },
          { path: '/', directory: '/sys/fs/cgroup/pids', current: 412, max: Infinity },
        ],
      },
    },
  };
}

export function nprocAtRiskReport(pid: number): ForkReport {
  const base = okReport(pid);
  return {
    ...base,
    verdict: 'at-risk',
    warnings: [{ cause: 'near-limit', message: 'uid 1000 has 3700 of 3859 tasks' }],
    tasks: { ...base.tasks, nproc: { realUid: 1000, tasks: 3700, soft: 3859, hard: 3859, exempt: null, tasksCounted: true } },
  };
}

export function entry(report: ForkReport | null, comm: string, pid = report?.pid ?? 1): ProcessEntry {
  return { pid, comm, report, error: report ? null : { code: 'EACCES', message: `open EACCES /proc/${pid}/smaps` } };
}

export function scanOf(entries: ProcessEntry[], missing: number[] = []): Scan {
  return { machine, processes: entries, missing, skippedKernelThreads: 0, hidepid: null, durationSeconds: 0.012, takenAt: new Date('2026-11-23T12:00:00Z') };
}

/** A ForkSource over built reports: `reports` by pid; pids in `vanishing` throw ESRCH as if they exited. */
export function builtSource(reports: Map<number, ForkReport | Error>, comms: Map<number, string> = new Map()): ForkSource {
  return {
    snapshotMachine: () => ({
      summary: machine,
      canFork: (pid) => {
        const report = reports.get(pid);
        if (report === undefined) throw Object.assign(new Error(`kill ESRCH`), { code: 'ESRCH' });
        if (report instanceof Error) throw report;
        return report;
      },
      describe: (pid) => (reports.has(pid) ? { comm: comms.get(pid) ?? '', userSpace: true } : null),
    }),
    listPids: () => [...reports.keys()],
    presence: (pid) => (reports.has(pid) ? 'present' : 'gone'),
  };
}

/** renderPrometheus options with a fixed build, so that the output does not depend on the machine. */
export const prometheusOptions: PrometheusOptions = {
  maxProcessSeries: 20,
  build: { version: '0.1.0', nodeVersion: 'v20.0.0', kernel: '6.18.0' },
};
