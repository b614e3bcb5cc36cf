import { describe, expect, it } from 'vitest';
import { tryAllocate } from '../../src/index';
import { expectCodedError } from '../helpers/errors';
import { GiB, MiB, meminfoBytes, overcommitMode, rssBytes, vmSizeBytes } from '../helpers/proc';

const ramPlusSwap = () => meminfoBytes('MemTotal') + meminfoBytes('SwapTotal');

describe('tryAllocate', () => {
  it.runIf(overcommitMode() === 0)('fails with ENOMEM just above MemTotal+SwapTotal in mode 0, and passes at it', () => {
    // __vm_enough_memory() mode 0: fail iff pages > totalram_pages + total_swap_pages.
    expect(tryAllocate(ramPlusSwap() + 4096)).toEqual({ ok: false, code: 'ENOMEM', errno: -12 });
    expect(tryAllocate(ramPlusSwap())).toEqual({ ok: true });
  });

  it('succeeds for 1 GiB without growing RSS', () => {
    const before = rssBytes();
    expect(tryAllocate(GiB)).toEqual({ ok: true });
    expect(rssBytes() - before).toBeLessThan(4 * MiB);
  });

  it('leaves nothing mapped behind', () => {
    // Counted in bytes, not VMAs: V8's threads map and unmap small regions while this runs (a CI run saw 171 -> 175
    // lines), and a leaked trial would add 1 GiB to VmSize each time, merged with a neighbour or not.
    const before = vmSizeBytes();
    for (let i = 0; i < 100; i++) tryAllocate(GiB);
    expect(vmSizeBytes() - before).toBeLessThan(GiB);
  });

  it.each([[0], [-4096], [0.5], [NaN], [Infinity], ['1']])('rejects %s like mmap does', (bytes) => {
    const type = typeof bytes === 'number' ? RangeError : TypeError;
    expectCodedError(() => tryAllocate(bytes as number), type, type === RangeError ? 'ERR_OUT_OF_RANGE' : 'ERR_INVALID_ARG_TYPE');
  });
});
