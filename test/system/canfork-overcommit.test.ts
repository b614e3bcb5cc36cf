// Overcommit modes 1 and 2, switched for a few milliseconds and always restored in `finally`:
// mode 1 lets a 30 GiB merged VMA fork; mode 2 sums every accountable VMA against CommitLimit, NORESERVE included.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canFork, type ForkReport } from '../../src/index';
import { GiB, MiB, meminfoBytes } from '../helpers/proc';
import { allOf, requireSystemTests, requireWritableSysctl } from '../helpers/requirements';
import { useHolders } from '../canfork/holder';

const modePath = '/proc/sys/vm/overcommit_memory';
const gate = allOf(requireSystemTests('switches vm.overcommit_memory to 1 and 2'), requireWritableSysctl(modePath));

const startHolder = useHolders();

/** Runs `during` with vm.overcommit_memory = `mode`, restoring the saved mode however it ends. */
async function inMode<T>(mode: 1 | 2, during: () => Promise<T>): Promise<T> {
  const saved = readFileSync(modePath, 'utf8').trim();
  try {
    writeFileSync(modePath, String(mode));
    return await during();
  } finally {
    writeFileSync(modePath, saved);
  }
}

/** CommitLimit − Committed_AS, rounded down to 2 MiB; null (and a note) when too small to test with. */
function freeCommitRoom(): number | null {
  const room = meminfoBytes('CommitLimit') - meminfoBytes('Committed_AS');
  if (room < 2 * GiB) {
    console.log(`skipping: only ${Math.round(room / MiB)} MiB of commit room (other processes hold the rest)`);
    return null;
  }
  return Math.floor(room / (2 * MiB)) * 2 * MiB;
}

function roundTo2MiB(bytes: number): number {
  return Math.floor(bytes / (2 * MiB)) * 2 * MiB;
}

describe.skipIf(gate.skip)('overcommit modes 1 and 2, for real', () => {
  it('mode 1: a 30 GiB merged VMA forks; back in mode 0 it does not', async () => {
    const holder = await startHolder();
    const first = await holder.grow(15 * GiB, 32 * GiB);
    await holder.grow(15 * GiB, 32 * GiB);
    expect(await holder.vma(first.address)).toMatchObject({ bytes: 30 * GiB });
    canFork({ pid: holder.pid }); // warm up outside the window
    const [report, real] = await inMode(1, async () => [canFork({ pid: holder.pid }), await holder.fork()] as const);
    expect(real).toEqual({ ok: true, code: null });
    expect(report).toMatchObject({ ok: true, verdict: 'ok', reasons: [], memory: { overcommit: 1, headroomBytes: null } });
    expect(report.memory.largestAccountable!.bytes).toBeGreaterThanOrEqual(30 * GiB);
    if (readFileSync(modePath, 'utf8').trim() === '0') {
      expect(canFork({ pid: holder.pid }).reasons.map((reason) => reason.cause)).toEqual(['vma-exceeds-ram-swap']);
      expect(await holder.fork()).toEqual({ ok: false, code: 'ENOMEM' });
    }
  });

  it('mode 2: one mapping of 65 % of the free commit room fails (commit-limit), 25 % works', async () => {
    for (const share of [0.65, 0.25]) {
      const holder = await startHolder();
      canFork({ pid: holder.pid });
      const room = freeCommitRoom();
      if (room === null) return;
      await holder.map(roundTo2MiB(room * share)); // made in mode 0: private, writable, so `ac` all the same
      const [report, real] = await inMode(2, async () => [canFork({ pid: holder.pid }), await holder.fork()] as const);
      expectAgreement(report, real, share === 0.65);
      await holder.stop();
    }
  });

  it('mode 2: a NORESERVE mapping made in mode 2 is charged, and fork charges it again', async () => {
    const holder = await startHolder();
    canFork({ pid: holder.pid });
    const room = freeCommitRoom();
    if (room === null) return;
    const [flags, report, real] = await inMode(2, async () => {
      const mapping = await holder.map(roundTo2MiB(room * 0.65), { noreserve: true });
      return [(await holder.vma(mapping.address))!.flags, canFork({ pid: holder.pid }), await holder.fork()] as const;
    });
    // do_mmap honours MAP_NORESERVE only when overcommit is allowed: in mode 2 the VMA gets VM_ACCOUNT, not VM_NORESERVE.
    expect(flags).toContain('ac');
    expect(flags).not.toContain('nr');
    expectAgreement(report, real, true);
  });
});

function expectAgreement(report: ForkReport, real: { ok: boolean; code: string | null }, shouldFail: boolean): void {
  expect(real.ok).toBe(!shouldFail);
  expect(report.ok).toBe(real.ok);
  expect(report.memory.overcommit).toBe(2);
  if (shouldFail) {
    expect(report.memory.exact).toBe(true); // a failing bound from maps is always confirmed from smaps
    expect(real.code).toBe('ENOMEM');
    expect(report.reasons).toEqual([expect.objectContaining({ code: 'ENOMEM', cause: 'commit-limit' })]);
    expect(report.reasons[0]!.value).toBeGreaterThanOrEqual(report.reasons[0]!.limit);
  } else {
    expect(report.reasons).toEqual([]);
    expect(report.memory.headroomBytes).toBeGreaterThan(0);
  }
}
