// EAGAIN, each cause observed for real: a full pids cgroup, RLIMIT_NPROC of a non-root uid, threads-max, pid_max.
// Every change is undone in `finally`; threads-max and pid_max are lowered only for the milliseconds of one check.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertCanFork, canFork, type ForkError, type ForkReport } from '../../src/index';
import { readLimits } from '../../src/procfs/limits';
import { useHolders } from '../canfork/holder';
import { allOf, requireHost, requireRoot, requireSystemTests, requireWritableSysctl } from '../helpers/requirements';
import { requireNobody } from '../helpers/unprivileged';

const pidsRoot = '/sys/fs/cgroup/pids';
let hasV1Pids = false;
try {
  hasV1Pids = readFileSync(`${pidsRoot}/cgroup.procs`, 'utf8').length > 0;
} catch {
  // no v1 pids hierarchy: the gate below says so
}

// Each test changes host state; all of them need root (cgroups, prlimit, sysctl, setpriv).
const rootGate = requireRoot('cgroups, prlimit, sysctls and setpriv');
const gates = rootGate.skip ? { cgroup: rootGate, nproc: rootGate, threadsMax: rootGate, pidMax: rootGate } : {
  cgroup: allOf(requireSystemTests('creates pids cgroups'), requireHost(hasV1Pids, `no cgroup v1 pids hierarchy at ${pidsRoot}`)),
  nproc: requireNobody('RLIMIT_NPROC of a process of nobody'),
  // threads-max and pid_max are lowered for a moment: that needs a writable /proc/sys too.
  threadsMax: allOf(requireSystemTests('lowers kernel.threads-max'), requireWritableSysctl('/proc/sys/kernel/threads-max')),
  pidMax: allOf(requireSystemTests('lowers kernel.pid_max'), requireWritableSysctl('/proc/sys/kernel/pid_max')),
};

const startHolder = useHolders();

function causes(report: ForkReport): string[] {
  return report.reasons.map((reason) => `${reason.code} ${reason.cause}`);
}

describe.skipIf(rootGate.skip)('EAGAIN for real', () => {
  it.skipIf(gates.cgroup.skip)('cgroup-pids: an ancestor pids cgroup at its max; the inner one unlimited', async () => {
    const holder = await startHolder();
    const name = `canfork-test-${process.pid}-${Date.now()}`;
    const outer = `${pidsRoot}/${name}`;
    const inner = `${outer}/inner`;
    mkdirSync(outer);
    try {
      mkdirSync(inner);
      try {
        writeFileSync(`${inner}/cgroup.procs`, String(holder.pid));
        const current = Number(readFileSync(`${outer}/pids.current`, 'utf8'));
        writeFileSync(`${outer}/pids.max`, String(current));
        const full = canFork({ pid: holder.pid });
        const real = await holder.fork();
        expect(real).toEqual({ ok: false, code: 'EAGAIN' });
        expect(full).toMatchObject({ ok: false, verdict: 'fails' });
        expect(causes(full)).toEqual(['EAGAIN cgroup-pids']);
        expect(full.reasons[0]).toMatchObject({ limit: current, value: current + 1 });
        expect(full.tasks.cgroup).toEqual({
          version: 1,
          path: `/${name}/inner`,
          levels: [
            { path: `/${name}/inner`, directory: inner, current, max: Infinity },
            { path: `/${name}`, directory: outer, current, max: current },
          ],
        });
        expect(() => assertCanFork({ pid: holder.pid })).toThrow(expect.objectContaining({ code: 'EAGAIN', errno: -11, syscall: 'fork' }));
        try {
          assertCanFork({ pid: holder.pid });
        } catch (error) {
          expect((error as ForkError).report.reasons[0]?.cause).toBe('cgroup-pids');
        }

        // Room for exactly one more task: the fork works, and the verdict says how close it was.
        writeFileSync(`${outer}/pids.max`, String(current + 1));
        expect(canFork({ pid: holder.pid })).toMatchObject({ ok: true, verdict: 'at-risk', reasons: [] });
        expect(await holder.fork()).toEqual({ ok: true, code: null });

        writeFileSync(`${outer}/pids.max`, String(current + 100));
        expect(canFork({ pid: holder.pid })).toMatchObject({ ok: true, verdict: 'ok' });
        expect(await holder.fork()).toEqual({ ok: true, code: null });
      } finally {
        writeFileSync(`${pidsRoot}/cgroup.procs`, String(holder.pid));
        rmdirSync(inner);
      }
    } finally {
      rmdirSync(outer);
    }
  });

  it.skipIf(gates.nproc.skip)('rlimit-nproc: a non-root uid at its RLIMIT_NPROC cannot fork; root with the same limit can', async () => {
    const nobody = await startHolder({ asNobody: true });
    const root = await startHolder();
    // The limit is below the holder's own thread count, so other processes of nobody cannot change the outcome.
    // Each holder lowers its own limit: prlimit() on another uid needs CAP_SYS_RESOURCE, which this machine's
    // root may lack.
    await nobody.setrlimit('nproc', { soft: 1, hard: 1 });
    await root.setrlimit('nproc', { soft: 1 });
    expect(readLimits(nobody.pid).nproc).toEqual({ soft: 1, hard: 1 });

    const limited = canFork({ pid: nobody.pid });
    expect(await nobody.fork()).toEqual({ ok: false, code: 'EAGAIN' });
    expect(limited).toMatchObject({ ok: false, verdict: 'fails' });
    expect(causes(limited)).toEqual(['EAGAIN rlimit-nproc']);
    expect(limited.tasks.nproc).toMatchObject({ realUid: 65534, soft: 1, hard: 1, exempt: null, tasksCounted: true });
    expect(limited.reasons[0]).toMatchObject({ limit: 1, value: limited.tasks.nproc.tasks + 1 });
    expect(limited.tasks.nproc.tasks).toBeGreaterThanOrEqual(2); // node has threads
    expect((await nobody.canFork()).ok).toBe(false); // the same answer from inside, without privileges

    const exempt = canFork({ pid: root.pid });
    expect(exempt.tasks.nproc).toMatchObject({ realUid: 0, soft: 1, exempt: 'root' });
    expect(exempt.ok).toBe(true);
    expect(await root.fork()).toEqual({ ok: true, code: null });
  }, 30_000);

  it.skipIf(gates.threadsMax.skip)('threads-max: lowered below the machine task count for one check, then restored', async () => {
    const holder = await startHolder();
    canFork({ pid: holder.pid }); // warm up: nothing else to load while the limit is low
    const path = '/proc/sys/kernel/threads-max';
    const saved = readFileSync(path, 'utf8').trim();
    let report: ForkReport;
    let real: { ok: boolean; code: string | null };
    const machineTasks = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[3]!.split('/')[1]);
    try {
      // A little under the current count (the kernel's minimum is 20), so tasks exiting meanwhile change nothing.
      writeFileSync(path, String(Math.max(20, machineTasks - 10)));
      report = canFork({ pid: holder.pid });
      real = await holder.fork();
    } finally {
      writeFileSync(path, saved);
    }
    expect(readFileSync(path, 'utf8').trim()).toBe(saved);
    expect(real).toEqual({ ok: false, code: 'EAGAIN' });
    expect(report.ok).toBe(false);
    expect(causes(report)).toContain('EAGAIN threads-max');
    expect(report.tasks.threads.max).toBe(Math.max(20, machineTasks - 10));
    expect(canFork({ pid: holder.pid }).ok).toBe(true);
  });

  it.skipIf(gates.pidMax.skip)('pid-max: lowered to 301, its minimum, where only pid 300 is left to allocate; then restored', async () => {
    const holder = await startHolder();
    canFork({ pid: holder.pid }); // warm up: nothing else to load while the limit is low
    const path = '/proc/sys/kernel/pid_max';
    const saved = readFileSync(path, 'utf8').trim();
    let whilePid300Free: ForkReport | undefined;
    let realWhileFree: { ok: boolean; code: string | null } | undefined;
    let occupant: ChildProcess | undefined;
    let full: ForkReport;
    let realWhenFull: { ok: boolean; code: string | null };
    try {
      writeFileSync(path, '301');
      const first = canFork({ pid: holder.pid });
      if (first.ok) {
        // Pid 300 was free: the real fork must work (its child takes 300 and exits), and then a sleep started
        // here takes 300 and keeps it, so the range is full.
        whilePid300Free = first;
        realWhileFree = await holder.fork();
        occupant = spawn('sleep', ['30'], { stdio: 'ignore' });
        await once(occupant, 'spawn');
      }
      full = canFork({ pid: holder.pid });
      realWhenFull = await holder.fork();
    } finally {
      writeFileSync(path, saved);
      occupant?.kill('SIGKILL');
    }
    expect(readFileSync(path, 'utf8').trim()).toBe(saved);
    console.log(`pid_max 301: pid 300 was ${whilePid300Free ? 'free: one fork worked, then a sleep held it' : 'already in use'}`);
    if (whilePid300Free) {
      expect(realWhileFree).toEqual({ ok: true, code: null });
      expect(occupant?.pid).toBe(300);
      expect(whilePid300Free.tasks.pids).toMatchObject({ current: 0, max: 301 });
    }
    expect(realWhenFull).toEqual({ ok: false, code: 'EAGAIN' });
    expect(full.ok).toBe(false);
    expect(causes(full)).toContain('EAGAIN pid-max');
    expect(full.tasks.pids).toMatchObject({ current: 1, max: 301 });
    expect(canFork({ pid: holder.pid }).ok).toBe(true);
  });
});
