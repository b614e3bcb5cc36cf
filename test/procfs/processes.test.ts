import { describe, expect, it } from 'vitest';
import { countTasksOfUid, listPids, readTaskOwners } from '../../src/procfs/processes';

describe('processes', () => {
  it('listPids: every numeric /proc entry, ascending, including this process and init', () => {
    const pids = listPids();
    expect(pids).toContain(process.pid);
    expect(pids).toContain(1);
    expect([...pids].sort((a, b) => a - b)).toEqual(pids);
  });

  it('counts tasks (threads) by real uid; a status text already read is not read again', () => {
    const fake = new Map([[process.pid, 'Name:\tfake\nUid:\t4242\t4242\t4242\t4242\nThreads:\t7\n']]);
    const owners = readTaskOwners(fake);
    expect(countTasksOfUid(owners, 4242)).toBe(7);
    expect(countTasksOfUid(owners, 0)).toBeGreaterThan(1);
    expect(countTasksOfUid([{ realUid: 1, threads: 3 }, { realUid: 2, threads: 5 }, { realUid: 1, threads: 1 }], 1)).toBe(4);
  });
});
