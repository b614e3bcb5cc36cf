// alloc_pid()'s rule per namespace level, over hand-built censuses: a level is full when every pid from 300 to its
// pid_max − 1 is in use; a level whose pid_max cannot be read is undecided only where some pid_max could fill it.
import { describe, expect, it } from 'vitest';
import { countPidLevels, judgePidLevels, type PidLevelsTarget } from '../../src/model/pid-namespaces';
import { decideTasks } from '../../src/model/tasks';
import type { CensusProcess, TaskCensus } from '../../src/procfs/census';

const NS_A = 4026532178;
const NS_B = 4026532999;

function proc(pid: number, levels: { ns?: number[]; nsPids?: number[]; pgrp?: number[]; sid?: number[]; threads?: number[][]; state?: string; ppid?: number } = {}): CensusProcess {
  const nsPids = levels.nsPids ?? [pid];
  return {
    pid, comm: 'p', state: levels.state ?? 'S', ppid: levels.ppid ?? 1, realUid: 0,
    threads: 1 + (levels.threads?.length ?? 0),
    nsPids,
    nsProcessGroups: levels.pgrp ?? nsPids.map(() => 0),
    nsSessions: levels.sid ?? nsPids.map(() => 0),
    otherThreadNsPids: levels.threads ?? [],
    namespaces: levels.ns ?? [],
  };
}

/** A namespace NS at level 1 whose processes hold the given level-1 pids (host pids from 10000 up). */
function namespaceOf(ns: number, innerPids: number[], hostBase = 10000): CensusProcess[] {
  return innerPids.map((inner, index) => proc(hostBase + index, { ns: [ns], nsPids: [hostBase + index, inner] }));
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, index) => from + index);

function target(nsPids: number[], namespaces: number[] | null, pidMaxByLevel: (number | null)[]): PidLevelsTarget {
  return { nsPids, namespaces, pidMaxByLevel, pidMaxSourceByLevel: pidMaxByLevel.map((value, level) => (value === null ? null : level === 0 ? 'sysctl' : 'trial')) };
}

describe('countPidLevels', () => {
  it('counts per namespace: tasks, threads, process groups and sessions, never a sibling namespace\'s', () => {
    const census: TaskCensus = {
      unidentified: 0,
      processes: [
        proc(1), proc(500, { pgrp: [700], sid: [700] }),
        ...namespaceOf(NS_A, [1, 2, 300, 301]),
        proc(20000, { ns: [NS_A], nsPids: [20000, 302], pgrp: [20001, 303], sid: [20002, 0], threads: [[20003, 304]] }),
        ...namespaceOf(NS_B, [300, 301, 302, 303, 304, 305], 30000),
      ],
    };
    const [level0, level1] = countPidLevels(census, target([10002, 300], [NS_A], [32768, 320]));
    expect(level0).toMatchObject({ level: 0, pid: 10002, pidMax: 32768, counted: true });
    // Level 0: every host number of every process, the group and session 700 (its leader gone) and 20001-20003.
    expect(level0!.inUse).toBe(2 + 1 + 4 + 4 + 6);
    expect(level1).toMatchObject({
      level: 1, namespace: NS_A, pid: 300, pidMax: 320, pidMaxSource: 'trial',
      inUse: 7, inRange: 5, rangeSize: 20, firstFreeFrom300: 305, counted: true, unplacedTasks: 0,
    });
  });

  it('a level that cannot be identified is not counted; unplaced processes are reported per level', () => {
    const census: TaskCensus = { unidentified: 1, processes: [...namespaceOf(NS_A, [300]), proc(40000, { ns: undefined, nsPids: [40000, 5] })] };
    census.processes[1]!.namespaces = null;
    const levels = countPidLevels(census, target([10000, 300], null, [32768, null]));
    expect(levels[1]).toMatchObject({ counted: false, namespace: null, firstFreeFrom300: null });
    expect(countPidLevels(census, target([10000, 300], [NS_A], [32768, null]))[1]).toMatchObject({ counted: true, unplacedTasks: 1, inRange: 1 });
  });
});

describe('judgePidLevels', () => {
  const full = (): TaskCensus => ({ unidentified: 0, processes: namespaceOf(NS_A, [1, 2, ...range(300, 320)]) });

  it('a nested level with a known pid_max: fails when 300 .. pid_max − 1 are all in use, naming the level', () => {
    const levels = countPidLevels(full(), target([10000, 1], [NS_A], [32768, 320]));
    const decision = judgePidLevels(levels);
    expect(decision.reasons).toEqual([expect.objectContaining({ code: 'EAGAIN', cause: 'pid-max', limit: 20, value: 21 })]);
    expect(decision.reasons[0]!.message).toBe(
      `20 of the 20 pids from 300 to kernel.pid_max 320 − 1 in pid namespace pid:[${NS_A}] (level 1, where the process is pid 1) are in use: none is free`);
    expect(decision.deciding).toBe(levels[1]);
    // One more pid_max: room for exactly one, which is at risk.
    const roomy = judgePidLevels(countPidLevels(full(), target([10000, 1], [NS_A], [32768, 321])));
    expect(roomy).toMatchObject({ reasons: [], nearLimit: true, unknown: false });
  });

  it('an unknown pid_max: undecided while 300 .. F − 1 are in use (it fails iff pid_max ≤ F); never ok by assumption', () => {
    const decision = judgePidLevels(countPidLevels(full(), target([10000, 1], [NS_A], [32768, null])));
    expect(decision).toMatchObject({ reasons: [], unknown: true });
    expect(decision.undecided.map((level) => level.level)).toEqual([1]);
    expect(decision.warnings).toEqual([expect.objectContaining({ cause: 'pid-max-unknown', message: expect.stringContaining(`pid:[${NS_A}] (level 1`) })]);
    expect(decision.warnings[0]!.message).toContain('kernel.pid_max is 320 or less');
  });

  it('an unknown pid_max with pid 300 free: no pid_max (at least 301) can fill the level, so it is decided ok', () => {
    const census: TaskCensus = { unidentified: 0, processes: namespaceOf(NS_A, [1, 2, 3, 301, 302, 4000]) };
    const decision = judgePidLevels(countPidLevels(census, target([10000, 1], [NS_A], [32768, null])));
    expect(decision).toMatchObject({ reasons: [], unknown: false, warnings: [] });
  });

  it('unidentified tasks that could take the last free pids make a level undecided', () => {
    const census: TaskCensus = { unidentified: 3, processes: [...namespaceOf(NS_A, range(300, 318)), ...[1, 2, 3].map((index) => ({ ...proc(50000 + index, { nsPids: [50000 + index, 7] }), namespaces: null }))] };
    const decision = judgePidLevels(countPidLevels(census, target([10000, 300], [NS_A], [32768, 320])));
    expect(decision).toMatchObject({ reasons: [], unknown: true });
    expect(decision.warnings[0]).toMatchObject({ cause: 'pid-namespace-unreadable', message: expect.stringContaining('3 tasks in nested namespaces') });
  });

  it('decideTasks: the pid numbers shown are those of the level that decided', () => {
    const levels = countPidLevels(full(), target([10000, 1], [NS_A], [32768, 320]));
    const decision = decideTasks({
      realUid: 0, capEff: 0n, nprocSoft: Infinity, nprocHard: Infinity, uidTasks: null, machineTasks: 300, threadsMax: 1e6,
      pidMax: 32768, cgroup: null, pidLevels: levels,
    });
    expect(decision.report.pids).toEqual({ current: 20, max: 320, levels });
    expect(decision.pidDeciding.level).toBe(1);
  });
});
