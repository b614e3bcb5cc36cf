// copy_process()'s EAGAIN rules over plain numbers.
import { describe, expect, it } from 'vitest';
import { decideTasks, nprocExemption, pidsInUseNeeded, RESERVED_PIDS, uidTasksNeeded, type TasksInput } from '../../src/model/tasks';
import { combineDecisions } from '../../src/model/verdict';

const CAP_SYS_ADMIN = 1n << 21n;
const CAP_SYS_RESOURCE = 1n << 24n;

function input(overrides: Partial<TasksInput>): TasksInput {
  return {
    realUid: 1000,
    capEff: 0n,
    nprocSoft: 1000,
    nprocHard: 2000,
    uidTasks: 10,
    machineTasks: 200,
    threadsMax: 100_000,
    pidMax: 32768,
    cgroup: null,
    ...overrides,
  };
}

function causes(overrides: Partial<TasksInput>): string[] {
  return decideTasks(input(overrides)).reasons.map((reason) => reason.cause);
}

describe('RLIMIT_NPROC', () => {
  it('fails when the uid already owns soft-limit tasks (the new one would exceed it)', () => {
    expect(causes({ uidTasks: 999 })).toEqual([]);
    expect(decideTasks(input({ uidTasks: 1000 })).reasons).toEqual([expect.objectContaining({ code: 'EAGAIN', cause: 'rlimit-nproc', limit: 1000, value: 1001 })]);
  });

  it('real uid 0, CAP_SYS_RESOURCE and CAP_SYS_ADMIN are exempt', () => {
    expect(nprocExemption(0, 0n)).toBe('root');
    expect(nprocExemption(1000, CAP_SYS_RESOURCE)).toBe('CAP_SYS_RESOURCE');
    expect(nprocExemption(1000, CAP_SYS_ADMIN)).toBe('CAP_SYS_ADMIN');
    expect(nprocExemption(1000, 0x1fffeffffffn & ~(CAP_SYS_ADMIN | CAP_SYS_RESOURCE))).toBeNull();
    expect(causes({ realUid: 0, uidTasks: 5000 })).toEqual([]);
    expect(causes({ capEff: CAP_SYS_ADMIN, uidTasks: 5000 })).toEqual([]);
    expect(decideTasks(input({ realUid: 0, uidTasks: 5000 })).report.nproc.exempt).toBe('root');
  });

  it('counting is needed only when the machine task count comes near the limit', () => {
    expect(uidTasksNeeded(input({ machineTasks: 200 }))).toBe(false);
    expect(uidTasksNeeded(input({ machineTasks: 950 }))).toBe(true);
    expect(uidTasksNeeded(input({ machineTasks: 950, realUid: 0 }))).toBe(false);
    expect(uidTasksNeeded(input({ machineTasks: 950, nprocSoft: Infinity }))).toBe(false);
    const uncounted = decideTasks(input({ uidTasks: null }));
    expect(uncounted.report.nproc).toMatchObject({ tasks: 200, tasksCounted: false });
    expect(uncounted.reasons).toEqual([]);
  });

  it('at-risk within 10 %', () => {
    const near = decideTasks(input({ uidTasks: 950 }));
    expect(near).toMatchObject({ nearLimit: true, reasons: [] });
    expect(near.warnings).toEqual([expect.objectContaining({ cause: 'near-limit' })]);
  });
});

describe('threads-max, pid_max', () => {
  it('threads-max: nr_threads >= max_threads fails', () => {
    expect(causes({ machineTasks: 99_999, pidMax: 4194304 })).toEqual([]);
    expect(causes({ machineTasks: 100_000, pidMax: 4194304 })).toEqual(['threads-max']);
  });

  it('pid_max: fails when every pid from RESERVED_PIDS (300) to pid_max − 1 is in use', () => {
    expect(RESERVED_PIDS).toBe(300);
    expect(causes({ pidsInUse: 32467, threadsMax: 1e6 })).toEqual([]);
    const full = decideTasks(input({ pidsInUse: 32468, threadsMax: 1e6 }));
    expect(full.reasons).toEqual([expect.objectContaining({ code: 'EAGAIN', cause: 'pid-max', limit: 32468, value: 32469 })]);
    expect(full.reasons[0]?.message).toBe('32468 of the 32468 pids from 300 to kernel.pid_max 32768 − 1 are in use: none is free');
    expect(full.report.pids).toMatchObject({ current: 32468, max: 32768 });
    // pid_max at its minimum, 301: one allocatable pid, 300.
    expect(causes({ pidsInUse: 0, pidMax: 301 })).toEqual([]);
    expect(causes({ pidsInUse: 1, pidMax: 301 })).toEqual(['pid-max']);
  });

  it('pid_max: without a count, the task count estimates the pids in use, and says so', () => {
    const estimated = decideTasks(input({ machineTasks: 32468, threadsMax: 1e6 }));
    expect(estimated.reasons[0]?.message).toMatch(/are in use \(estimated by the task count\): none is free$/);
    expect(causes({ machineTasks: 32467, threadsMax: 1e6, pidsInUse: null })).toEqual([]);
  });

  it('pid_max: counting is needed only when the task count comes within 10 % of the range', () => {
    expect(pidsInUseNeeded({ machineTasks: 200, pidMax: 32768 })).toBe(false);
    expect(pidsInUseNeeded({ machineTasks: 29_300, pidMax: 32768 })).toBe(true);
    expect(pidsInUseNeeded({ machineTasks: 200, pidMax: 301 })).toBe(true);
    expect(pidsInUseNeeded({ machineTasks: 0, pidMax: 301 })).toBe(true);
  });
});

describe('pids cgroup, every level', () => {
  const level = (path: string, current: number, max: number) => ({ path, directory: `/sys/fs/cgroup/pids${path}`, current, max });

  it('fails at any level that is full; max = Infinity never fails', () => {
    const cgroup = (levels: ReturnType<typeof level>[]) => ({ version: 1 as const, path: levels[0]!.path, levels });
    expect(causes({ cgroup: cgroup([level('/a/b', 2, Infinity), level('/a', 5, 10)]) })).toEqual([]);
    const full = decideTasks(input({ cgroup: cgroup([level('/a/b', 2, Infinity), level('/a', 10, 10)]) }));
    expect(full.reasons).toEqual([expect.objectContaining({ code: 'EAGAIN', cause: 'cgroup-pids', limit: 10, value: 11 })]);
    expect(full.reasons[0]!.message).toContain('/a');
    expect(causes({ cgroup: cgroup([level('/a', 3, 2)]) })).toEqual(['cgroup-pids']);
  });

  it('a full pids cgroup alone does not ask for the machine\'s task holders; a machine-wide limit near does', () => {
    const cgroup = { version: 1 as const, path: '/a', levels: [level('/a', 10, 10)] };
    expect(decideTasks(input({ cgroup })).holdersMatter).toBe(false);
    expect(decideTasks(input({ cgroup, machineTasks: 95_000 })).holdersMatter).toBe(true);
    expect(decideTasks(input({})).holdersMatter).toBe(false);
    expect(decideTasks(input({ uidTasks: 1000 })).holdersMatter).toBe(true);
  });
});

describe('verdict', () => {
  const part = { reasons: [], warnings: [], nearLimit: false, unknown: false };
  const reason = { code: 'EAGAIN' as const, cause: 'threads-max' as const, message: '', limit: 1, value: 2 };

  it('fails > unknown > at-risk > ok; ok is false only for fails', () => {
    expect(combineDecisions([part, part])).toMatchObject({ ok: true, verdict: 'ok' });
    expect(combineDecisions([part, { ...part, nearLimit: true }])).toMatchObject({ ok: true, verdict: 'at-risk' });
    expect(combineDecisions([{ ...part, unknown: true }, { ...part, nearLimit: true }])).toMatchObject({ ok: true, verdict: 'unknown' });
    expect(combineDecisions([{ ...part, unknown: true }, { ...part, reasons: [reason] }])).toMatchObject({ ok: false, verdict: 'fails', reasons: [reason] });
  });
});
