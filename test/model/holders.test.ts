// Who holds the tasks, over hand-built censuses.
import { describe, expect, it } from 'vitest';
import { findHolders, HOLDERS_LISTED } from '../../src/model/holders';
import type { CensusProcess } from '../../src/procfs/census';

function proc(pid: number, fields: Partial<CensusProcess> = {}): CensusProcess {
  return {
    pid, comm: `c${pid}`, state: 'S', ppid: 1, realUid: 0, threads: 1, nsPids: [pid], nsProcessGroups: [0], nsSessions: [0],
    otherThreadNsPids: [], namespaces: [], ...fields,
  };
}
const zombiesOf = (parent: number, count: number, from: number, fields: Partial<CensusProcess> = {}): CensusProcess[] =>
  Array.from({ length: count }, (_, index) => proc(from + index, { state: 'Z', ppid: parent, ...fields }));

describe('findHolders', () => {
  it('parents by unreaped zombies and processes by threads, most first, at most 10 each', () => {
    const processes = [
      proc(100, { comm: 'leaky' }), proc(200, { comm: 'careful' }), proc(300, { threads: 40, comm: 'java' }), proc(301, { threads: 3 }),
      ...zombiesOf(100, 697, 1000), ...zombiesOf(200, 2, 5000),
      ...Array.from({ length: 12 }, (_, index) => zombiesOf(6000 + index, 1, 7000 + index)).flat(),
      proc(8000, { state: 'Z', ppid: 0 }), // its parent is outside this /proc's namespace
    ];
    const holders = findHolders({ processes, unidentified: 0 });
    expect(holders.scope).toBe('machine');
    expect(holders.zombies).toBe(697 + 2 + 12 + 1);
    expect(holders.zombieParents[0]).toEqual({ pid: 100, comm: 'leaky', count: 697 });
    expect(holders.zombieParents[1]).toEqual({ pid: 200, comm: 'careful', count: 2 });
    expect(holders.zombieParents).toHaveLength(HOLDERS_LISTED);
    expect(holders.threads).toEqual([{ pid: 300, comm: 'java', count: 40 }, { pid: 301, comm: 'c301', count: 3 }]);
  });

  it('within one nested namespace: only the processes that are in it', () => {
    const inside = { namespaces: [42], nsPids: [0, 0] };
    const processes = [proc(100), proc(101, inside), ...zombiesOf(100, 50, 1000), ...zombiesOf(101, 5, 2000, inside)];
    const holders = findHolders({ processes, unidentified: 0 }, { level: 1, namespace: 42 });
    expect(holders).toMatchObject({ scope: 'pid:[42]', zombies: 5, zombieParents: [{ pid: 101, count: 5 }] });
  });
});
