// canFork({ trial: true })'s task trial against the real fork: a healthy process, a v1 pids cgroup at its max
// (where the cgroup part stays a model check, and the report says so), and threads-max reached. The full pid
// namespace is in pid-namespace.test.ts. Each checks that the trial leaves no process, cgroup member or fd.
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canFork, type ForkReport } from '../../src/index';
import { useHolders } from '../canfork/holder';
import { sysctlSkipReason } from '../helpers/proc';
import { childrenOf } from './pid-namespace';

const isRoot = process.getuid?.() === 0;
const hostTests = process.env.CANFORK_SYSTEM_TESTS === '1';
const pidsRoot = '/sys/fs/cgroup/pids';
let hasV1Pids = false;
try {
  hasV1Pids = readFileSync(`${pidsRoot}/cgroup.procs`, 'utf8').length > 0;
} catch {
  // reported in the test name
}
const threadsMaxSkip = sysctlSkipReason('/proc/sys/kernel/threads-max');
const startHolder = useHolders();
const openFds = (): number => readdirSync('/proc/self/fd').length;

/** canFork with the trial, checking that it left no fd and no child of this process behind. */
function tryFork(pid: number): ForkReport {
  // canFork() keeps the machine's files open from its first answer (src/procfs/kept-file.ts): not the trial's.
  canFork({ pid });
  const fds = openFds();
  const children = childrenOf(process.pid);
  const report = canFork({ pid, trial: true });
  expect(openFds()).toBe(fds);
  expect(childrenOf(process.pid)).toEqual(children);
  return report;
}

describe('the task trial agrees with the real fork', () => {
  it('a healthy process: the task is created in its namespace, which reports its pid_max', async () => {
    const holder = await startHolder();
    const report = tryFork(holder.pid);
    expect(report.trial?.tasks).toMatchObject({
      ran: true, ok: true, pidMax: Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8')),
      covers: expect.arrayContaining(['threads-max']),
      modelOnly: [expect.stringMatching(/^rlimit-nproc /)],
    });
    expect(report.warnings.filter((warning) => warning.cause.startsWith('trial'))).toEqual([]);
    expect(report.ok).toBe(true);
    expect(await holder.fork()).toEqual({ ok: true, code: null });
  });

  it.skipIf(!isRoot)(`as a process without rights over another's namespace, the trial is skipped with the reason${isRoot ? '' : ' (skipped: needs root to start a nobody process)'}`, async () => {
    const nobody = await startHolder({ asNobody: true });
    // nobody asks about this (root's) process: it may not read /proc/PID/ns/pid_for_children.
    const report = await nobody.canFork({ trial: true });
    expect(report.trial?.tasks).toMatchObject({ ran: true, ok: true }); // its own namespace: no setns needed
    const other = await nobody.canFork({ pid: process.pid, trial: true } as { trial: boolean });
    expect(other.trial?.tasks).toMatchObject({ ran: false, ok: null, skipped: expect.stringContaining('ptrace-read') });
    expect(other.warnings).toContainEqual(expect.objectContaining({ cause: 'trial-skipped' }));
  });

  it.skipIf(!hostTests || !isRoot || !hasV1Pids)(
    `a v1 pids cgroup at its max: the verdict agrees, the cgroup part stays the model's${hostTests && isRoot && hasV1Pids ? '' : ' (skipped: needs CANFORK_SYSTEM_TESTS=1, root and a v1 pids hierarchy)'}`,
    async () => {
      const holder = await startHolder();
      const cgroup = `${pidsRoot}/canfork-trial-${process.pid}-${Date.now()}`;
      mkdirSync(cgroup);
      try {
        writeFileSync(`${cgroup}/cgroup.procs`, String(holder.pid));
        const members = readFileSync(`${cgroup}/cgroup.procs`, 'utf8');
        writeFileSync(`${cgroup}/pids.max`, readFileSync(`${cgroup}/pids.current`, 'utf8').trim());
        const report = tryFork(holder.pid);
        expect(await holder.fork()).toEqual({ ok: false, code: 'EAGAIN' });
        expect(report).toMatchObject({ ok: false, verdict: 'fails' });
        expect(report.reasons.map((reason) => reason.cause)).toEqual(['cgroup-pids']);
        expect(report.trial?.tasks).toMatchObject({ ran: true, ok: true, cgroup: 'model' });
        expect(report.trial?.tasks?.modelOnly).toContainEqual(expect.stringMatching(/^cgroup-pids \(cgroup v1/));
        expect(report.warnings.filter((warning) => warning.cause === 'trial-disagrees')).toEqual([]);
        expect(readFileSync(`${cgroup}/cgroup.procs`, 'utf8')).toBe(members);
      } finally {
        writeFileSync(`${pidsRoot}/cgroup.procs`, String(holder.pid));
        rmdirSync(cgroup);
      }
    },
  );

  it.skipIf(!hostTests || threadsMaxSkip !== '')(
    `threads-max reached: the kernel refuses the trial task as it refuses the fork${hostTests && threadsMaxSkip === '' ? '' : ` (skipped: ${hostTests ? threadsMaxSkip : 'needs CANFORK_SYSTEM_TESTS=1'})`}`,
    async () => {
      const holder = await startHolder();
      tryFork(holder.pid); // warm up: nothing else to load while the limit is low
      const path = '/proc/sys/kernel/threads-max';
      const saved = readFileSync(path, 'utf8').trim();
      const machineTasks = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[3]!.split('/')[1]);
      let report: ForkReport;
      let real: { ok: boolean; code: string | null };
      const children = childrenOf(process.pid);
      try {
        // Well under the count: on a shared machine dozens of tasks may exit between this read and the fork.
        writeFileSync(path, String(Math.max(20, machineTasks - 100)));
        report = canFork({ pid: holder.pid, trial: true });
        real = await holder.fork();
      } finally {
        writeFileSync(path, saved);
      }
      expect(childrenOf(process.pid)).toEqual(children);
      expect(real).toEqual({ ok: false, code: 'EAGAIN' });
      expect(report.trial?.tasks).toMatchObject({ ran: true, ok: false, code: 'EAGAIN' });
      expect(report.reasons.map((reason) => reason.cause)).toContain('threads-max');
      expect(report.warnings.filter((warning) => warning.cause === 'trial-disagrees')).toEqual([]);
    },
  );
});
