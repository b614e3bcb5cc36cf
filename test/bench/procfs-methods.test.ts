// The smaps baseline must really find what the original canfork script looks for: the largest `ac` VMA.
import { afterEach, describe, expect, it } from 'vitest';
import { largestAccountableFromSmaps, readMaps } from '../../bench/lib/procfs-methods.cjs';
import { mmap, type Mapping } from '../../src/index';
import { overcommitMode, vmaAt } from '../helpers/proc';

const GiB = 1024 ** 3;
const held: Mapping[] = [];
afterEach(() => {
  for (const mapping of held.splice(0)) mapping.unmap();
});

describe('largestAccountableFromSmaps', () => {
  // Mode 0 takes a 1 GiB untouched mapping on this 23.5 GiB machine; mode 2 (set briefly by system tests) might not.
  it.skipIf(overcommitMode() !== 0)('finds a 1 GiB accountable mapping and ignores a larger MAP_NORESERVE one', () => {
    const accountable = mmap(GiB + 4096);
    held.push(accountable, mmap(2 * GiB, { noreserve: true }));
    // The kernel may merge the mapping with a neighbour of identical flags: compare with the VMA that holds it.
    const vma = vmaAt(accountable.address);
    expect(vma?.flags).toContain('ac');
    expect(largestAccountableFromSmaps()).toBe(vma!.sizeBytes);
    expect(vma!.sizeBytes).toBeLessThan(2 * GiB);
  });
});

describe('readMaps', () => {
  it('reads a non-empty /proc/self/maps', () => {
    expect(readMaps()).toBeGreaterThan(0);
  });
});
