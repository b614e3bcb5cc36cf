// canFork() / assertCanFork() on this process and on others: shape, options, errors, permissions.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canForkWithSnapshot, readMachineSnapshot } from '../../src/snapshot';
import { assertCanFork, canFork, machineSummary, mmap, prlimit, type ForkError } from '../../src/index';
import { readLimits } from '../../src/procfs/limits';
import { countTasksOfUid, listPids } from '../../src/procfs/processes';
import { expectCodedError, expectSystemError } from '../helpers/errors';
import { MiB, meminfoBytes, overcommitMode } from '../helpers/proc';
import { allOf, requireHost } from '../helpers/requirements';
import { AS_NOBODY, nobodyView, requireNobody } from '../helpers/unprivileged';
import { useHolders } from './holder';

const nobody = requireNobody('canFork() of another user\'s process');

const startHolder = useHolders();

/** canFork(options) run by a process of nobody (no capabilities), through dist/. */
function canForkAsNobody(options: object): { verdict: string; ok: boolean; warnings: Array<{ cause: string; message: string }> } {
  const script = `process.stdout.write(JSON.stringify(require(${JSON.stringify(nobodyView().distEntry)}).canFork(${JSON.stringify(options)})))`;
  const result = spawnSync(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), process.execPath, '-e', script], { encoding: 'utf8', cwd: '/' });
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout);
}

function readSysctl(name: string): number {
  return Number(readFileSync(`/proc/sys/${name}`, 'utf8'));
}

describe('canFork() on this process', () => {
  it('answers ok with the machine numbers, settled from maps without smaps', () => {
    const report = canFork();
    expect(report).toMatchObject({ pid: process.pid, ok: true, verdict: 'ok', reasons: [] });
    expect(report.memory).toMatchObject({
      overcommit: overcommitMode(),
      totalRamBytes: meminfoBytes('MemTotal'),
      totalSwapBytes: meminfoBytes('SwapTotal'),
      exact: false,
    });
    expect(report.memory.largestAccountable!.bytes).toBeGreaterThan(0);
    expect(report.warnings.map((warning) => warning.cause)).toEqual(['estimate']);
    expect(report.tasks.threads.max).toBe(machineSummary().threads.max);
    expect(report.tasks.nproc.realUid).toBe(process.getuid!());
    expect(report.trial).toBeUndefined();
  });

  it('exact: VmFlags and the uid task count are read; the exact numbers are within the maps bounds', () => {
    const bounded = canFork();
    const exact = canFork({ exact: true });
    expect(exact.memory.exact).toBe(true);
    expect(exact.tasks.nproc.tasksCounted).toBe(true);
    expect(exact.warnings).toEqual([]);
    expect(exact.memory.accountableBytes).toBeLessThanOrEqual(bounded.memory.accountableBytes + 256 * MiB);
    expect(exact.tasks.nproc.tasks).toBeGreaterThanOrEqual(1);
    expect(exact.tasks.nproc.tasks).toBeLessThanOrEqual(exact.tasks.threads.current + 64);
  });

  it('trial: allocates what fork would charge, without touching it', () => {
    const report = canFork({ trial: true, exact: true });
    expect(report.trial).toMatchObject({ bytes: report.memory.overcommit === 2 ? report.memory.accountableBytes : report.memory.largestAccountable!.bytes, ok: true });
    expect(report.trial?.tasks).toMatchObject({ ran: true, ok: true, pidMax: readSysctl('kernel/pid_max') });
  });

  it('the pids cgroup: the hierarchy this process is in, levels innermost first', () => {
    const { cgroup } = canFork().tasks;
    if (cgroup === null) return;
    for (const level of cgroup.levels) expect(level.current).toBeGreaterThanOrEqual(1);
    expect(cgroup.levels[0]?.path ?? cgroup.path).toBe(cgroup.path);
  });
});

describe('RLIMIT_NPROC: getrlimit for this process, /proc/PID/limits for another', () => {
  it('this process: the limits /proc/self/limits shows', () => {
    expect(canFork().tasks.nproc).toMatchObject(readLimits('self').nproc);
  });

  it('a child whose soft limit was lowered: the lowered one', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await once(child, 'spawn');
      const lowered = Math.min(readLimits('self').nproc.soft, 100000) - 1;
      prlimit(child.pid!, 'nproc', { soft: lowered });
      expect(canFork({ pid: child.pid! }).tasks.nproc).toMatchObject({ soft: lowered, hard: readLimits(child.pid!).nproc.hard });
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('one machine snapshot for several answers (what the CLI scan does)', () => {
  it('answers against a snapshot show its numbers; canFork() reads fresh ones', () => {
    const snapshot = readMachineSnapshot();
    // Committed_AS grows by the size of a new accountable mapping.
    const mapping = mmap(256 * MiB);
    try {
      const against = canForkWithSnapshot(snapshot);
      expect(against.memory.committedBytes).toBe(snapshot.memory.committedBytes);
      expect(against.tasks.threads.current).toBe(snapshot.loadavg.threads);
      expect(canFork().memory.committedBytes).not.toBe(snapshot.memory.committedBytes);
    } finally {
      mapping.unmap();
    }
  });

  it('the processes are counted once per snapshot, on the first answer that needs them', () => {
    const snapshot = readMachineSnapshot();
    expect(snapshot.census).toBeNull();
    const settled = canForkWithSnapshot(snapshot);
    expect(snapshot.census === null).toBe(!settled.tasks.nproc.tasksCounted);
    const exact = canForkWithSnapshot(snapshot, { exact: true });
    const census = snapshot.census;
    expect(census).not.toBeNull();
    expect(exact.tasks.nproc.tasks).toBe(countTasksOfUid(census!.processes, process.getuid!()));
    canForkWithSnapshot(snapshot, { exact: true, pid: process.ppid });
    expect(snapshot.census).toBe(census);
  });

  it('the pids in use are counted only near pid_max, or with exact, and then once per snapshot', () => {
    const snapshot = readMachineSnapshot();
    const settled = canForkWithSnapshot(snapshot);
    // Far from pid_max (this machine), nr_threads stands in for the count.
    expect(snapshot.census).toBeNull();
    expect(settled.tasks.pids.current).toBe(snapshot.loadavg.threads);
    expect(settled.tasks.pids.levels).toEqual([expect.objectContaining({ level: 0, counted: false })]);
    const exact = canForkWithSnapshot(snapshot, { exact: true });
    expect(snapshot.census).not.toBeNull();
    const [level0] = exact.tasks.pids.levels!;
    expect(level0).toMatchObject({ level: 0, counted: true, pid: process.pid, pidMax: snapshot.kernel.pidMax });
    expect(exact.tasks.pids.current).toBe(level0!.inRange);
    // Every thread of this process has a pid of its own in the range (this one is past 300, like nearly all).
    const threads = Number(readFileSync('/proc/self/status', 'utf8').match(/^Threads:\t(\d+)$/m)![1]);
    expect(level0!.inRange).toBeGreaterThanOrEqual(threads);
  });

  it('validates options as canFork() does', () => {
    expectCodedError(() => canForkWithSnapshot(readMachineSnapshot(), { pid: 0 }), RangeError, 'ERR_OUT_OF_RANGE');
  });
});

describe('machineSummary()', () => {
  it('the machine-wide numbers, as meminfo, the sysctls and loadavg give them', () => {
    const summary = machineSummary();
    expect(summary).toMatchObject({
      overcommit: overcommitMode(),
      totalRamBytes: meminfoBytes('MemTotal'),
      totalSwapBytes: meminfoBytes('SwapTotal'),
      commitLimitBytes: meminfoBytes('CommitLimit'),
    });
    expect(summary.committedBytes).toBeGreaterThan(0);
    expect(summary.threads.current).toBeGreaterThan(1);
    expect(summary.threads.current).toBeLessThan(summary.threads.max);
    expect(summary.pids.max).toBeGreaterThanOrEqual(301);
    // pids.tasks is nr_threads from the same loadavg read (every task holds a pid); current is its deprecated name.
    expect(summary.pids.tasks).toBe(summary.threads.current);
    expect(summary.pids.current).toBe(summary.pids.tasks);
  });
});

describe('options and errors', () => {
  it('rejects bad options with Node error codes', () => {
    expectCodedError(() => canFork(null as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCodedError(() => canFork('1' as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCodedError(() => canFork({ pid: '1' as never }), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCodedError(() => canFork({ pid: 0 }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCodedError(() => canFork({ pid: 1.5 }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCodedError(() => canFork({ trial: 1 as never }), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCodedError(() => canFork({ exact: 'yes' as never }), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCodedError(() => assertCanFork({ pid: -1 }), RangeError, 'ERR_OUT_OF_RANGE');
  });

  it('a pid that does not exist: system error ESRCH naming the file', () => {
    const used = new Set(listPids());
    let missing = 4194304;
    while (used.has(missing)) missing--;
    expectSystemError(() => canFork({ pid: missing }), 'ESRCH', 'open');
    expect(() => canFork({ pid: missing })).toThrow(`/proc/${missing}/status`);
    expectSystemError(() => assertCanFork({ pid: missing }), 'ESRCH', 'open');
  });

  it('assertCanFork() returns quietly when a fork would work', () => {
    expect(assertCanFork()).toBeUndefined();
  });
});

const anotherProcess = allOf(nobody, requireHost(overcommitMode() === 0, `vm.overcommit_memory is ${overcommitMode()}; the ENOMEM holder needs mode 0`));

describe.skipIf(anotherProcess.skip)('another process', () => {
  it('holding a VMA past RAM + swap: assertCanFork throws ENOMEM with the report; an unprivileged reader gets unknown', async () => {
    const holder = await startHolder();
    const halfBytes = Math.ceil((meminfoBytes('MemTotal') + meminfoBytes('SwapTotal') + 128 * MiB) / 2 / (2 * MiB)) * 2 * MiB;
    // Two halves that merge into one VMA; grow keeps the space below the first free until the second.
    await holder.grow(halfBytes, 2 * halfBytes + 512 * MiB);
    await holder.grow(halfBytes, 2 * halfBytes + 512 * MiB);
    let thrown: ForkError | undefined;
    try {
      assertCanFork({ pid: holder.pid });
    } catch (error) {
      thrown = error as ForkError;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown).toMatchObject({ code: 'ENOMEM', errno: -12, syscall: 'fork', report: { pid: holder.pid, ok: false, verdict: 'fails' } });
    expect(thrown!.message).toMatch(new RegExp(`fork of pid ${holder.pid} would fail: ENOMEM vma-exceeds-ram-swap`));
    expect((await holder.fork()).code).toBe('ENOMEM');

    // nobody may not read root's maps: the size bound (VmSize) proves nothing here, so the verdict is unknown.
    const unprivileged = canForkAsNobody({ pid: holder.pid });
    expect(unprivileged).toMatchObject({ verdict: 'unknown', ok: true });
    expect(unprivileged.warnings).toContainEqual({ cause: 'unreadable', message: `open EACCES /proc/${holder.pid}/maps: VMAs unknown` });
  });

  it('unreadable maps of a small process: still settled by its size, with the warning', () => {
    const init = canForkAsNobody({ pid: 1, exact: true });
    expect(init.verdict).toBe('ok');
    expect(init.warnings).toContainEqual({ cause: 'unreadable', message: 'open EACCES /proc/1/maps: VMAs unknown' });
  });
});
