import { describe, expect, it } from 'vitest';
import { readTaskCensus } from '../../src/procfs/census';
import { countTasksOfUid, listPids } from '../../src/procfs/processes';

describe('processes', () => {
  it('listPids: every numeric /proc entry, ascending, including this process and init', () => {
    const pids = listPids();
    expect(pids).toContain(process.pid);
    expect(pids).toContain(1);
    expect([...pids].sort((a, b) => a - b)).toEqual(pids);
  });

  it('counts tasks (threads) by real uid, over the census of the real /proc', () => {
    const fake = `Name:\tfake\nState:\tS (sleeping)\nPid:\t${process.pid}\nPPid:\t1\nUid:\t4242\t4242\t4242\t4242\nThreads:\t7\n` +
      `NSpid:\t${process.pid}\nNSpgid:\t${process.pid}\nNSsid:\t${process.pid}\n`;
    const { processes } = readTaskCensus(new Map([[process.pid, fake]]));
    expect(countTasksOfUid(processes, 4242)).toBe(7);
    expect(countTasksOfUid(processes, 0)).toBeGreaterThan(1);
    expect(countTasksOfUid([{ realUid: 1, threads: 3 }, { realUid: 2, threads: 5 }, { realUid: 1, threads: 1 }], 1)).toBe(4);
  });
});
