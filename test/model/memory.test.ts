// The overcommit rules over plain numbers, and over captured /proc files of a process whose fork fails here.
import { describe, expect, it } from 'vitest';
import { accountableVmas, decideMemory, isKernelBefore52, possiblyAccountableVmas, summariseVmas, type MemoryInput } from '../../src/model/memory';
import type { AccountableVma } from '../../src/model/report';
import { parseMaps, parseSmaps } from '../../src/procfs/maps';
import { summarisePrivateVmas } from '../../src/snapshot';
import { parseMeminfo } from '../../src/procfs/meminfo';
import { parseStatus } from '../../src/procfs/status';
import { fixture } from '../procfs/fixture';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const page = 4096;

function vma(bytes: number, start = 0x7f0000000000n): AccountableVma {
  return { start, end: start + BigInt(bytes), bytes, path: '' };
}

type TestInput = Partial<Omit<MemoryInput, 'vmaCharges'>> & { vmas?: AccountableVma[] | null };

/** A MemoryInput whose VMAs are given as a list and summarised as canFork() summarises smaps. */
function input({ vmas = [vma(100 * MiB)], ...overrides }: TestInput): MemoryInput {
  return {
    overcommit: 0,
    kernelBefore52: false,
    pageBytes: page,
    memTotalBytes: 16 * GiB,
    swapTotalBytes: 2 * GiB,
    commitLimitBytes: 10 * GiB,
    committedBytes: 4 * GiB,
    freeEstimateBytes: 8 * GiB,
    adminReserveKbytes: 8192,
    userReserveKbytes: 131072,
    capSysAdmin: false,
    totalVmBytes: 1 * GiB,
    vmaCharges: vmas === null ? null : summariseVmas(vmas, page),
    vmasExact: true,
    ...overrides,
  };
}

describe('summariseVmas: the page sum and the largest VMAs', () => {
  it('sums vma_pages() of each VMA (floored), lists at most five, biggest first, the first of equal sizes first', () => {
    const vmas = [vma(3 * page), vma(page + 100, 0x1000n), vma(9 * page, 0x2000n), vma(3 * page, 0x3000n), vma(page, 0x4000n), vma(7 * page, 0x5000n), vma(3 * page, 0x6000n)];
    const summary = summariseVmas(vmas, page);
    expect(summary.sumPages).toBe(3 + 1 + 9 + 3 + 1 + 7 + 3);
    expect(summary.largest.map((listed) => [listed.bytes, listed.start])).toEqual([
      [9 * page, 0x2000n], [7 * page, 0x5000n], [3 * page, 0x7f0000000000n], [3 * page, 0x3000n], [3 * page, 0x6000n],
    ]);
    expect(summariseVmas([], page)).toEqual({ sumPages: 0, largest: [] });
  });

  it('the report lists a copy: deciding twice on one summary gives equal, separate lists', () => {
    const charges = summariseVmas([vma(GiB), vma(MiB, 0x1000n)], page);
    const first = decideMemory({ ...input({}), vmaCharges: charges });
    first.report.largestAccountableVmas.pop();
    expect(decideMemory({ ...input({}), vmaCharges: charges }).report.largestAccountableVmas).toHaveLength(2);
    expect(first.report.accountableBytes).toBe(GiB + MiB);
  });
});

describe('mode 0 (heuristic, kernel >= 5.2): one VMA against MemTotal + SwapTotal', () => {
  it('fails only when a VMA has more pages than RAM + swap; equal is allowed', () => {
    const threshold = 18 * GiB;
    expect(decideMemory(input({ vmas: [vma(threshold)] })).reasons).toEqual([]);
    const over = decideMemory(input({ vmas: [vma(threshold + page), vma(GiB, 0x1000n)] }));
    expect(over.reasons).toEqual([expect.objectContaining({ code: 'ENOMEM', cause: 'vma-exceeds-ram-swap', limit: threshold, value: threshold + page })]);
    expect(over.report).toMatchObject({ largestAccountable: { bytes: threshold + page }, headroomBytes: -page, accountableBytes: threshold + page + GiB });
    expect(over.reasons[0]!.message).toMatch(/7f0000000000-7f0480001000 \(anonymous\).*18\.0 GiB/);
    expect(over.chargeBytes).toBe(threshold + page);
  });

  it('lists the five largest VMAs, biggest first, whatever their order in the address space', () => {
    const sizes = [3, 9, 1, 7, 5, 8, 2].map((count) => count * MiB);
    const vmas = sizes.map((bytes, index) => vma(bytes, BigInt(index) * 0x100000000n));
    const listed = decideMemory(input({ vmas })).report.largestAccountableVmas;
    expect(listed.map((listedVma) => listedVma.bytes)).toEqual([9, 8, 7, 5, 3].map((count) => count * MiB));
    expect(decideMemory(input({ vmas })).report.largestAccountable).toEqual(listed[0]);
    expect(decideMemory(input({ vmas: [] })).report.largestAccountableVmas).toEqual([]);
  });

  it('the sum does not matter in mode 0: many VMAs each under the threshold pass', () => {
    const many = Array.from({ length: 100 }, (_, index) => vma(GiB, BigInt(index) * 0x100000000n));
    expect(decideMemory(input({ vmas: many })).reasons).toEqual([]);
  });

  it('at-risk within 10 % of RAM + swap', () => {
    const near = decideMemory(input({ vmas: [vma(17 * GiB)] }));
    expect(near).toMatchObject({ nearLimit: true, reasons: [] });
    expect(near.warnings.map((warning) => warning.cause)).toContain('near-limit');
    expect(decideMemory(input({ vmas: [vma(16 * GiB)] })).nearLimit).toBe(false);
  });

  it('before 5.2: compared with estimated free memory, with a warning that it is an estimate', () => {
    const old = decideMemory(input({ kernelBefore52: true, vmas: [vma(8 * GiB)] }));
    expect(old.reasons).toEqual([expect.objectContaining({ cause: 'vma-exceeds-ram-swap' })]);
    expect(old.warnings.map((warning) => warning.cause)).toContain('old-kernel');
    expect(decideMemory(input({ kernelBefore52: true, capSysAdmin: true, vmas: [vma(7 * GiB)] })).reasons).toEqual([]);
    expect(isKernelBefore52('5.1.21')).toBe(true);
    expect(isKernelBefore52('4.19.0-26-amd64')).toBe(true);
    expect(isKernelBefore52('5.2.0')).toBe(false);
    expect(isKernelBefore52('6.18.44-fc-v669')).toBe(false);
  });
});

describe('mode 2 (never): Committed_AS + Σ VMAs against CommitLimit − reserves', () => {
  // allowed = 10 GiB − admin 8 MiB − min(total_vm/32 = 32 MiB, user 128 MiB) = 10 GiB − 40 MiB.
  const allowed = 10 * GiB - 40 * MiB;

  it('fails when the sum reaches the limit; one page less passes', () => {
    const reaching = decideMemory(input({ overcommit: 2, vmas: [vma(3 * GiB), vma(allowed - 7 * GiB, 0x1000n)] }));
    expect(reaching.reasons).toEqual([expect.objectContaining({ code: 'ENOMEM', cause: 'commit-limit', limit: allowed, value: allowed })]);
    expect(reaching.chargeBytes).toBe(allowed - 4 * GiB);
    const under = decideMemory(input({ overcommit: 2, vmas: [vma(3 * GiB), vma(allowed - 7 * GiB - page, 0x1000n)] }));
    expect(under.reasons).toEqual([]);
    expect(under.report.headroomBytes).toBe(page);
    expect(under.nearLimit).toBe(true);
  });

  it('CAP_SYS_ADMIN waives the admin reserve; the user reserve is min(total_vm / 32, user_reserve_kbytes)', () => {
    const edge = [vma(allowed - 4 * GiB)];
    expect(decideMemory(input({ overcommit: 2, vmas: edge })).reasons).toHaveLength(1);
    expect(decideMemory(input({ overcommit: 2, vmas: edge, capSysAdmin: true })).reasons).toEqual([]);
    // total_vm 8 GiB: total_vm/32 = 256 MiB, capped by user_reserve 128 MiB → allowed shrinks by 96 MiB more.
    const bigger = decideMemory(input({ overcommit: 2, vmas: [vma(allowed - 4 * GiB - 96 * MiB)], totalVmBytes: 8 * GiB }));
    expect(bigger.reasons[0]?.limit).toBe(allowed - 96 * MiB);
  });

  it('far from the limit: ok, headroom reported', () => {
    const far = decideMemory(input({ overcommit: 2, vmas: [vma(GiB)] }));
    expect(far).toMatchObject({ reasons: [], nearLimit: false, report: { headroomBytes: allowed - 5 * GiB } });
  });
});

describe('mode 1 (always)', () => {
  it('never fails, has no headroom, needs no VmFlags', () => {
    const always = decideMemory(input({ overcommit: 1, vmas: [vma(1024 * GiB)] }));
    expect(always).toMatchObject({ reasons: [], nearLimit: false, unknown: false, report: { headroomBytes: null } });
  });
});

describe('bounds and missing data', () => {
  it('maps bounds are flagged as estimates; smaps data is exact', () => {
    const bounded = decideMemory(input({ vmasExact: false }));
    expect(bounded.report.exact).toBe(false);
    expect(bounded.warnings.map((warning) => warning.cause)).toEqual(['estimate']);
    expect(decideMemory(input({})).report.exact).toBe(true);
  });

  it('without VMAs, total_vm bounds them: settled when far, unknown when it proves nothing', () => {
    expect(decideMemory(input({ vmas: null, totalVmBytes: GiB }))).toMatchObject({ unknown: false, reasons: [] });
    expect(decideMemory(input({ vmas: null, totalVmBytes: 64 * GiB }))).toMatchObject({ unknown: true, reasons: [] });
    expect(decideMemory(input({ vmas: null, totalVmBytes: null }))).toMatchObject({ unknown: true });
  });
});

describe('captured process with a 24 GiB merged VMA (test/fixtures/proc/node-24g)', () => {
  const meminfo = parseMeminfo(fixture('proc/machine/meminfo'));
  const status = parseStatus(fixture('proc/node-24g/status'));
  const base = {
    ...input({}),
    memTotalBytes: meminfo.memTotalBytes,
    swapTotalBytes: meminfo.swapTotalBytes,
    commitLimitBytes: meminfo.commitLimitBytes,
    committedBytes: meminfo.committedBytes,
    totalVmBytes: status.totalVmBytes,
  };

  it('smaps: the ac VMA fails mode 0; dc and nr VMAs are not charged', () => {
    const smaps = parseSmaps(fixture('proc/node-24g/smaps'));
    const charged = accountableVmas(smaps);
    expect(charged.every((one) => smaps.find((s) => s.start === one.start)!.vmFlags.includes('ac'))).toBe(true);
    expect(charged.some((one) => smaps.find((s) => s.start === one.start)!.vmFlags.includes('dc'))).toBe(false);
    const decision = decideMemory({ ...base, vmaCharges: summariseVmas(charged, page), vmasExact: true });
    expect(decision.reasons).toEqual([expect.objectContaining({ cause: 'vma-exceeds-ram-swap', value: 24 * GiB })]);
    expect(decision.report.largestAccountable).toMatchObject({ start: 0x7f87dc000000n, end: 0x7f8ddc000000n });
  });

  it('maps: private VMAs bound the charge from above; shared ones are left out', () => {
    const maps = parseMaps(fixture('proc/node-24g/maps'));
    const bound = possiblyAccountableVmas(maps);
    expect(bound.length).toBe(maps.filter((one) => !one.shared).length);
    const charged = accountableVmas(parseSmaps(fixture('proc/node-24g/smaps')));
    const sum = (list: AccountableVma[]): number => list.reduce((total, one) => total + one.bytes, 0);
    expect(sum(bound)).toBeGreaterThanOrEqual(sum(charged));
    // What canFork() decides on: the one-pass summary of the same maps.
    const summary = summarisePrivateVmas(fixture('proc/node-24g/maps'), page);
    expect(summary.sumPages * page).toBe(sum(bound));
    const decision = decideMemory({ ...base, vmaCharges: summary, vmasExact: false });
    expect(decision.report).toMatchObject({ exact: false, accountableBytes: sum(bound), largestAccountable: { bytes: 24 * GiB } });
    expect(decision.reasons).toEqual([expect.objectContaining({ cause: 'vma-exceeds-ram-swap', value: 24 * GiB })]);
  });
});
