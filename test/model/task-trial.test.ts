// The task trial beside the model. The cgroup v2 case is built from the fixtures of test/fixtures/cgroup-v2 (from the
// kernel's documented formats; this machine has no v2 pids controller), so only the model side of it runs here: the
// directory the trial task would be created in (CLONE_INTO_CGROUP) and how its answer is read.
import { describe, expect, it } from 'vitest';
import { countPidLevels } from '../../src/model/pid-namespaces';
import type { TaskTrialReport } from '../../src/model/report';
import { reconcileTaskTrial } from '../../src/model/task-trial';
import { decideTasks, type TasksInput } from '../../src/model/tasks';
import { locatePidsCgroup, parseCgroupMounts, parseProcCgroup, parsePidsCurrent, parsePidsMax } from '../../src/procfs/cgroup';
import { fixture } from '../procfs/fixture';

const base: TasksInput = {
  realUid: 0, capEff: 0n, nprocSoft: Infinity, nprocHard: Infinity, uidTasks: null, machineTasks: 300, threadsMax: 100_000, pidMax: 32768, cgroup: null,
};

function trial(fields: Partial<TaskTrialReport>): TaskTrialReport {
  return { ran: true, ok: true, pidMax: 32768, namespace: 4026531836, cgroup: 'none', covers: ['pid-max (every namespace level)', 'threads-max'], modelOnly: ['rlimit-nproc'], ...fields };
}

const causesOf = (decision: ReturnType<typeof decideTasks>): string[] => decision.reasons.map((reason) => reason.cause);
const warningCauses = (decision: ReturnType<typeof decideTasks>): string[] => decision.warnings.map((warning) => warning.cause);

describe('reconcileTaskTrial', () => {
  it('agreement adds nothing; a trial that did not run says why', () => {
    const healthy = decideTasks(base);
    expect(reconcileTaskTrial(healthy, trial({}))).toEqual(healthy);
    const skipped = reconcileTaskTrial(healthy, trial({ ran: false, ok: null, skipped: 'cannot enter pid namespace pid:[1] (EPERM)' }));
    expect(skipped.warnings).toEqual([{ cause: 'trial-skipped', message: 'the task trial did not run: cannot enter pid namespace pid:[1] (EPERM)' }]);
  });

  it('threads-max: the kernel and the model agree on EAGAIN; they disagree when only one of them refuses', () => {
    const full = decideTasks({ ...base, machineTasks: 100_000, pidMax: 4194304 });
    expect(causesOf(full)).toEqual(['threads-max']);
    expect(warningCauses(reconcileTaskTrial(full, trial({ ok: false, code: 'EAGAIN' })))).not.toContain('trial-disagrees');
    expect(warningCauses(reconcileTaskTrial(full, trial({ ok: true })))).toContain('trial-disagrees');
    expect(warningCauses(reconcileTaskTrial(decideTasks(base), trial({ ok: false, code: 'EAGAIN' })))).toContain('trial-disagrees');
  });

  it('EAGAIN decides a level whose pid_max could not be read: pid-max there, its pid_max at most the first free pid', () => {
    const census = { unidentified: 0, processes: Array.from({ length: 22 }, (_, index) => ({
      pid: 1000 + index, comm: 'z', state: 'Z', ppid: 999, realUid: 0, threads: 1, nsPids: [1000 + index, index < 2 ? index + 1 : 298 + index],
      nsProcessGroups: [0, 0], nsSessions: [0, 0], otherThreadNsPids: [], namespaces: [77],
    })) };
    const levels = countPidLevels(census, { nsPids: [1000, 1], namespaces: [77], pidMaxByLevel: [32768, null], pidMaxSourceByLevel: ['sysctl', null] });
    const undecided = decideTasks({ ...base, pidLevels: levels });
    expect(undecided.unknown).toBe(true);
    const decided = reconcileTaskTrial(undecided, trial({ ok: false, code: 'EAGAIN', namespace: 77 }));
    expect(decided.unknown).toBe(false);
    expect(warningCauses(decided)).toEqual([]);
    expect(decided.reasons).toEqual([expect.objectContaining({ code: 'EAGAIN', cause: 'pid-max', limit: 20, value: 21 })]);
    expect(decided.reasons[0]!.message).toContain('pid namespace pid:[77] (level 1, where the process is pid 1)');
    expect(decided.reasons[0]!.message).toContain('its kernel.pid_max is at most 320');
    expect(decided.pidDeciding.level).toBe(1);
    // A task created there: the level has a free pid after all.
    const roomy = reconcileTaskTrial(undecided, trial({ ok: true, namespace: 77, pidMax: null }));
    expect(roomy).toMatchObject({ unknown: false, reasons: [] });
    expect(warningCauses(roomy)).toEqual(['trial-decided']);
  });

  it('a level whose last free pids unidentified tasks may hold: a created trial task decides it, and its warning goes', () => {
    const undecided = decideTasks({ ...base, pidLevels: [{
      level: 0, pid: 1000, namespace: 4026531836, pidMax: 400, pidMaxSource: 'sysctl',
      inUse: 95, inRange: 95, rangeSize: 100, firstFreeFrom300: 395, counted: true, unplacedTasks: 7,
    }] });
    expect(undecided.unknown).toBe(true);
    expect(warningCauses(undecided)).toEqual(['pid-namespace-unreadable']);
    expect(undecided.warnings[0]!.message).toMatch(/^this pid namespace \(level 0\): 95 of the 100 pids .* 7 tasks in nested namespaces/);
    const decided = reconcileTaskTrial(undecided, trial({ ok: true }));
    expect(decided.unknown).toBe(false);
    expect(warningCauses(decided)).toEqual(['trial-decided']);
  });

  it('ENOMEM from the clone is reported, not read as a verdict', () => {
    const result = reconcileTaskTrial(decideTasks(base), trial({ ok: false, code: 'ENOMEM' }));
    expect(result.reasons).toEqual([]);
    expect(warningCauses(result)).toEqual(['trial-inconclusive']);
  });

  it('cgroup v2 (fixture): the trial task goes into the target\'s own cgroup directory, and its EAGAIN covers pids.max', () => {
    const placement = locatePidsCgroup(parseProcCgroup(fixture('cgroup-v2/cgroup')), parseCgroupMounts(fixture('cgroup-v2/mountinfo')));
    expect(placement?.version).toBe(2);
    // The directory handed to CLONE_INTO_CGROUP: the process's own cgroup, whose ancestors the kernel charges too.
    expect(placement?.levels[0]?.directory).toBe('/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope');
    const cgroup = {
      version: 2 as const,
      path: placement!.path,
      levels: [{ path: '/user.slice/user-1000.slice', directory: '/sys/fs/cgroup/user.slice/user-1000.slice', current: parsePidsCurrent('12\n'), max: parsePidsMax('12\n') }],
    };
    const full = decideTasks({ ...base, cgroup });
    expect(causesOf(full)).toEqual(['cgroup-pids']);
    const v2 = trial({ ok: false, code: 'EAGAIN', cgroup: 'trial', covers: ['pid-max (every namespace level)', 'threads-max', 'cgroup-pids'] });
    expect(warningCauses(reconcileTaskTrial(full, v2))).toEqual([]);
    expect(warningCauses(reconcileTaskTrial(full, { ...v2, ok: true, code: undefined }))).toContain('trial-disagrees');
    // v1: the task is created outside the cgroup, so its success says nothing about pids.max there.
    const v1 = trial({ ok: true, cgroup: 'model' });
    expect(warningCauses(reconcileTaskTrial(full, v1))).toEqual([]);
  });
});
