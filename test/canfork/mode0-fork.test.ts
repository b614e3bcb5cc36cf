// Overcommit mode 0, for real: a holder process grows one merged anonymous VMA 512 MiB at a time past
// MemTotal + SwapTotal; at every step canFork() (inside the holder, and from here by pid) must agree with the
// holder's real fork. Untouched memory only: no RSS is used. Needs dist/ (npx tsc -p tsconfig.build.json).
import { describe, expect, it } from 'vitest';
import { canFork } from '../../src/index';
import { MiB, meminfoBytes, overcommitMode } from '../helpers/proc';
import { useHolders } from './holder';

const chunkBytes = 512 * MiB;
const inMode0 = overcommitMode() === 0;
if (!inMode0) console.log(`skipping mode 0 fork tests: vm.overcommit_memory is ${overcommitMode()}`);

const startHolder = useHolders();

function ramPlusSwap(): number {
  return meminfoBytes('MemTotal') + meminfoBytes('SwapTotal');
}

/** Enough 512 MiB chunks to pass RAM + swap by one chunk. */
function chunksPastThreshold(): number {
  return Math.floor(ramPlusSwap() / chunkBytes) + 1;
}

describe.skipIf(!inMode0)('mode 0: one merged VMA grown past RAM + swap', () => {
  it('canFork().ok equals the real fork at every 512 MiB step; the failing step names the VMA', async () => {
    const holder = await startHolder();
    const steps = chunksPastThreshold();
    let top = 0n;
    let mapsOnly = 0;
    const outcomes: boolean[] = [];
    for (let step = 1; step <= steps; step++) {
      const mapping = await holder.grow(chunkBytes, (steps + 1) * chunkBytes);
      if (step === 1) top = mapping.address + BigInt(chunkBytes);
      const vma = await holder.vma(mapping.address);
      // Adjacent chunks with identical flags merge: the VMA is every chunk so far, one range.
      expect(vma, `step ${step}: chunk merged`).toMatchObject({ end: top, bytes: step * chunkBytes });
      expect(vma!.flags).toContain('ac');
      const self = await holder.canFork();
      const byPid = canFork({ pid: holder.pid });
      const real = await holder.fork();
      expect(self.ok, `step ${step}: ${step * 512} MiB, self view`).toBe(real.ok);
      expect(byPid.ok, `step ${step}: ${step * 512} MiB, by pid`).toBe(real.ok);
      if (!self.memory.exact) mapsOnly++;
      outcomes.push(real.ok);
      if (!real.ok) {
        expect(real.code).toBe('ENOMEM');
        expect(self.verdict).toBe('fails');
        expect(self.reasons).toEqual([expect.objectContaining({ code: 'ENOMEM', cause: 'vma-exceeds-ram-swap', value: step * chunkBytes })]);
        expect(self.memory.largestAccountable).toMatchObject({ start: mapping.address, end: top, bytes: step * chunkBytes, path: '' });
        expect(self.memory.largestAccountable!.bytes).toBeGreaterThan(ramPlusSwap());
        expect(self.memory.largestAccountableVmas[0]).toEqual(self.memory.largestAccountable);
        expect(self.memory.exact).toBe(true);
        const failedTrial = { bytes: step * chunkBytes, ok: false, code: 'ENOMEM' };
        // The memory trial fails as the fork did; the task trial beside it (tasks) has room here.
        for (const trial of [canFork({ pid: holder.pid, trial: true }).trial, (await holder.canFork({ trial: true })).trial]) {
          expect(trial).toMatchObject(failedTrial);
          if (trial?.tasks !== undefined) expect(trial.tasks).toMatchObject({ ok: true });
        }
      } else if (step * chunkBytes > 0.9 * ramPlusSwap()) {
        expect(self.verdict).toBe('at-risk');
      }
    }
    // Forks worked up to RAM + swap and failed after it: the run crossed the threshold exactly once.
    expect(outcomes.indexOf(false)).toBe(steps - 1);
    console.log(`mode 0 grow: ${steps} steps, smaps avoided at ${mapsOnly} of them`);
  });

  it('the same total unmerged, NORESERVE, or MADV_DONTFORK: ok, and the fork works', async () => {
    const steps = chunksPastThreshold();
    for (const options of [{ separated: true }, { noreserve: true }, { dontfork: true }]) {
      const holder = await startHolder();
      let first = 0n;
      for (let step = 0; step < steps; step++) {
        const mapping = options.separated ? await holder.map(chunkBytes, options) : await holder.grow(chunkBytes, (steps + 1) * chunkBytes, options);
        if (step === 0) first = mapping.address;
      }
      const vma = await holder.vma(first);
      if (options.separated) expect(vma!.bytes).toBe(chunkBytes);
      // Merged (possibly with a neighbour of the same flags), but fork does not charge it.
      else expect(vma!.bytes).toBeGreaterThanOrEqual(steps * chunkBytes);
      expect(vma!.flags.includes('ac')).toBe(!options.noreserve);
      const report = canFork({ pid: holder.pid, exact: true, trial: true });
      const real = await holder.fork();
      expect(real, JSON.stringify(options)).toEqual({ ok: true, code: null });
      expect(report.ok).toBe(true);
      expect(report.reasons).toEqual([]);
      expect(report.memory.largestAccountable?.bytes ?? 0).toBeLessThanOrEqual(ramPlusSwap());
      if (options.separated) expect(report.memory.accountableBytes).toBeGreaterThan(ramPlusSwap());
      expect((await holder.canFork()).ok).toBe(true);
      await holder.stop();
    }
  });

  it('canFork({ pid }) on another process: ENOMEM when it holds such a VMA and its own fork fails; a healthy one is ok', async () => {
    const [loaded, healthy] = await Promise.all([startHolder(), startHolder()]);
    // Two mmaps, each allowed on its own in mode 0, that merge into one VMA past RAM + swap. grow keeps the
    // space below the first one free until the second: with two plain maps, a mapping of one of the
    // holder's own threads once landed between them (CI, as nobody) and they did not merge.
    const halfBytes = Math.ceil((ramPlusSwap() / 2 + 64 * MiB) / chunkBytes) * chunkBytes;
    const reserveBytes = 2 * halfBytes + chunkBytes;
    const upper = await loaded.grow(halfBytes, reserveBytes);
    const lower = await loaded.grow(halfBytes, reserveBytes);
    expect(await loaded.vma(lower.address)).toMatchObject({ end: upper.address + BigInt(halfBytes), bytes: 2 * halfBytes });

    const report = canFork({ pid: loaded.pid });
    expect(report).toMatchObject({ pid: loaded.pid, ok: false, verdict: 'fails' });
    expect(report.reasons.map((reason) => reason.code)).toEqual(['ENOMEM']);
    expect(await loaded.fork()).toEqual({ ok: false, code: 'ENOMEM' });

    const fine = canFork({ pid: healthy.pid });
    expect(fine).toMatchObject({ pid: healthy.pid, ok: true, verdict: 'ok', reasons: [] });
    expect(await healthy.fork()).toEqual({ ok: true, code: null });
  });
});
