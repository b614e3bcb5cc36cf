// Targets are reported, never asserted by CI: these tests check the verdicts and the rendering only.
import { describe, expect, it } from 'vitest';
import { canForkChart, spawnChart } from '../../bench/lib/charts.cjs';
import { evaluateTargets, markdownReport, standings } from '../../bench/lib/report.cjs';
import type { BenchResults, Summary } from '../../bench/lib/results.cjs';

const GiB = 1024 ** 3;
const at = (median: number): Summary => ({ median, min: median * 0.9, max: median * 1.5, n: 10 });

function spawnRow(rssBytes: number, childProcessMs: number, canforkMs: number | null, posixSpawnMs: number, canforkStallMs: number | null) {
  return {
    rssBytes, residentBytes: Math.max(rssBytes, 45 * 1024 * 1024), childProcessMs, canforkMs, canforkSyncMs: canforkMs, posixSpawnMs,
    childProcessStallMs: childProcessMs, canforkStallMs,
    stats: {
      childProcessMs: at(childProcessMs), canforkMs: canforkMs === null ? null : at(canforkMs), canforkSyncMs: canforkMs === null ? null : at(canforkMs),
      posixSpawnMs: at(posixSpawnMs), childProcessStallMs: at(childProcessMs), canforkStallMs: canforkStallMs === null ? null : at(canforkStallMs),
    },
  };
}

function forkRow(rssBytes: number, vmas: number, canForkMs: number | null, smapsMs: number, mapsMs: number, addedMappings?: number) {
  return {
    rssBytes, vmas, ...(addedMappings === undefined ? {} : { addedMappings }), canForkMs, smapsMs, mapsMs,
    stats: { canForkMs: canForkMs === null ? null : at(canForkMs), smapsMs: at(smapsMs), mapsMs: at(mapsMs) },
  };
}

function results(canforkAt8: number | null, canForkAt8: number | null): BenchResults {
  return {
    machine: { cpu: 'test cpu', cores: 2, memBytes: 24 * GiB, kernel: '6.18', node: 'v20.0.0' },
    mode: 'full',
    startedAt: '2026-01-01T00:00:00.000Z',
    spawn: [spawnRow(0, 1.3, 0.5, 0.4, 0.3), spawnRow(8 * GiB, 200, canforkAt8, 0.4, canforkAt8 === null ? null : 0.6)],
    canFork: [forkRow(0, 120, 0.3, 0.7, 0.03), forkRow(8 * GiB, 125, canForkAt8, 90, 0.03), forkRow(0, 10120, 10, 50, 1.6, 10000)],
    calls: [
      { name: 'getrlimit', ns: 380, cNs: 150, stats: { ns: at(380), cNs: at(150) } },
      { name: 'tryAllocate(1 GiB)', ns: 1400, cNs: 1200, stats: { ns: at(1400), cNs: at(1200) } },
    ],
    notes: [],
  };
}

describe('evaluateTargets', () => {
  it('says met or missed with the measured numbers', () => {
    const verdicts = Object.fromEntries(evaluateTargets(results(0.5, 0.3)).map((t) => [t.target, t]));
    expect(verdicts['canfork spawn within 1.5× of C posix_spawn at every RSS']).toMatchObject({ status: 'met', detail: '1.25× at 0 GiB, 1.25× at 8 GiB' });
    expect(verdicts['canfork spawn ≥ 200× faster than child_process at 8 GiB']).toMatchObject({ status: 'met', detail: '400× (200 ms vs 0.5 ms)' });
    expect(verdicts['canFork() < 1 ms at 8 GiB resident']?.status).toBe('met');
    expect(verdicts['canFork() ≥ 50× cheaper than the smaps method at 8 GiB']).toMatchObject({ status: 'met', detail: '300× (smaps 90 ms)' });
    expect(verdicts['canFork() within 3× of the bare /proc/self/maps read at 8 GiB']).toMatchObject({ status: 'missed', detail: '10× (0.3 ms vs maps 0.03 ms)' });
    expect(verdicts['call overhead within 2× of C']).toMatchObject({ status: 'missed', detail: 'getrlimit 2.53×, tryAllocate(1 GiB) 1.17×' });
  });

  it('sets the stall beside the longest time C posix_spawn (a vfork) blocked its caller', () => {
    const measured = results(0.5, 0.3);
    measured.spawn.forEach((row, i) => { row.stats = { ...row.stats, posixSpawnBlockedMs: at(0.1 * (i + 1)) }; });
    const stall = () => evaluateTargets(measured).find((t) => t.target === 'canfork event-loop stall < 1 ms at any RSS')?.detail;
    expect(stall()).toMatch(/; C posix_spawn \(a vfork too\) blocked its caller up to 0\.15 ms at 0 GiB, 0\.3 ms at 8 GiB$/);
    measured.spawn.forEach((row) => { row.stats = { ...row.stats, canforkCallMs: { ...at(0.2), n: 3000 } }; });
    expect(stall()).toMatch(/up to 0\.15 ms at 0 GiB, 0\.3 ms at 8 GiB \(10 C spawns per level, 3000 canfork ones\)$/);
    expect(markdownReport(measured)).toContain(
      '| 0 GiB | not yet measured | 0.2 ms (0.18–0.3, n 3000) | not yet measured | not yet measured | not yet measured | 0.1 ms (0.09–0.15, n 10) |');
  });

  it('says "not measured" where canfork spawn or canFork() were not there yet, and no 8 GiB row in quick mode', () => {
    const missing = evaluateTargets(results(null, null));
    expect(missing.find((t) => t.target.startsWith('canfork spawn within'))).toMatchObject({ status: 'not measured' });
    expect(missing.find((t) => t.target.startsWith('canFork() < 1 ms'))).toMatchObject({ status: 'not measured', detail: 'not yet measured' });
    const quick = { ...results(0.5, 0.3), mode: 'quick' as const };
    quick.spawn = quick.spawn.filter((row) => row.rssBytes < 8 * GiB);
    quick.canFork = quick.canFork.filter((row) => row.rssBytes < 8 * GiB);
    expect(evaluateTargets(quick).find((t) => t.target.includes('200×'))).toMatchObject({ status: 'not measured', detail: 'no 8 GiB run (quick mode)' });
  });
});

describe('the peers (issue #16)', () => {
  const withP99 = (median: number, p99: number, n = 300): Summary => ({ median, p99, min: median * 0.9, max: p99 * 2, n });
  function withPeers(): BenchResults {
    const data = results(0.5, 0.3);
    data.spawn[0]!.stats = { ...data.spawn[0]!.stats, canforkMs: withP99(0.5, 1), bunMs: withP99(0.6, 1.1), canforkSyncMs: withP99(0.7, 1),
      bunSyncMs: withP99(0.7, 1), canforkCallMs: withP99(0.12, 0.3), posixSpawnBlockedMs: withP99(0.1, 0.2),
      canforkPerSecond: withP99(900, 1000, 5), bunPerSecond: withP99(800, 900, 5) };
    data.spawn[1]!.stats = { ...data.spawn[1]!.stats, canforkMs: withP99(0.8, 1), bunMs: withP99(0.6, 1.1), canforkSyncMs: withP99(0.7, 1),
      bunSyncMs: withP99(0.7, 1), canforkCallMs: withP99(0.11, 0.2), posixSpawnBlockedMs: withP99(0.1, 0.2),
      canforkPerSecond: withP99(700, 1000, 5), bunPerSecond: withP99(800, 900, 5) };
    data.peers = { bun: { version: '1.4.5' }, deno: null };
    return data;
  }

  it('judges each goal at every level, median and p99 apart, with the ratios', () => {
    const verdicts = Object.fromEntries(evaluateTargets(withPeers()).map((t) => [t.target, t]));
    expect(verdicts['canfork spawn ≤ Bun.spawn (call to exit) at every RSS']).toMatchObject({ status: 'missed', detail: '0.833× at 0 GiB, 1.33× at 8 GiB' });
    expect(verdicts['canfork spawnSync ≤ Bun.spawnSync at every RSS']).toMatchObject({ status: 'met', detail: '1× at 0 GiB, 1× at 8 GiB' });
    expect(verdicts['event loop blocked per spawn ≤ 1.2× C posix_spawn\'s (median)']).toMatchObject({ status: 'met', detail: '1.2× at 0 GiB, 1.1× at 8 GiB' });
    expect(verdicts['event loop blocked per spawn ≤ 1.2× C posix_spawn\'s (p99)']).toMatchObject({ status: 'missed', detail: '1.5× at 0 GiB, 1× at 8 GiB' });
    expect(verdicts['throughput with 8 in flight ≥ Bun\'s']).toMatchObject({ status: 'missed', detail: '1.13× at 0 GiB, 0.875× at 8 GiB' });
    expect(verdicts['canfork/register child_process.spawn ≤ Bun.spawn (call to exit) at every RSS']?.status).toBe('not measured');
    expect(verdicts['canFork() within 3× of the bare /proc/self/maps read at 8 GiB']).toMatchObject({ status: 'missed', detail: '10× (0.3 ms vs maps 0.03 ms)' });
  });

  it('judges a level by its passes too: undecided where they fall on both sides of the bound', () => {
    const data = withPeers();
    // 0 GiB: pooled 0.833×, passes on both sides of 1; 8 GiB: pooled 1.33×, every pass above.
    data.spawn[0]!.passRatios = { canforkVsBun: [0.8, 1.05, 0.9], throughputVsBun: [1.1, 1.2, 1.05] };
    data.spawn[1]!.passRatios = { canforkVsBun: [1.2, 1.4, 1.3], throughputVsBun: [0.9, 1.01, 0.8] };
    const verdicts = Object.fromEntries(evaluateTargets(data).map((t) => [t.target, t]));
    expect(verdicts['canfork spawn ≤ Bun.spawn (call to exit) at every RSS']).toMatchObject({
      status: 'missed', detail: '0.833× (passes 0.8–1.05×) at 0 GiB, 1.33× (passes 1.2–1.4×) at 8 GiB' });
    expect(verdicts['throughput with 8 in flight ≥ Bun\'s']).toMatchObject({
      status: 'undecided', detail: '1.13× (passes 1.05–1.2×) at 0 GiB, 0.875× (passes 0.8–1.01×) at 8 GiB' });
    // Every pass and the pooled ratio on one side: met, whatever the spread.
    data.spawn[1]!.passRatios.canforkVsBun = [0.7, 0.9, 0.95];
    data.spawn[1]!.stats.canforkMs = withP99(0.5, 1);
    data.spawn[0]!.passRatios.canforkVsBun = [0.8, 0.99, 0.9];
    expect(evaluateTargets(data).find((t) => t.target.startsWith('canfork spawn ≤'))?.status).toBe('met');
    // A pass that did not measure the figure leaves the pooled ratio alone to judge.
    data.spawn[0]!.passRatios.canforkVsBun = [0.8, null, 1.4];
    expect(evaluateTargets(data).find((t) => t.target.startsWith('canfork spawn ≤'))).toMatchObject({
      status: 'met', detail: '0.833× at 0 GiB, 0.833× (passes 0.7–0.95×) at 8 GiB' });
    const lines = standings({ ...data, spawn: [{ ...data.spawn[0]!, passRatios: { canforkVsBun: [0.8, 1.05, 0.9] } }] });
    expect(lines).toContain('- canfork spawn vs Bun.spawn (call to exit): ahead in some passes and behind in others at 0 GiB (0.5 vs 0.6 ms)');
    expect(markdownReport(data)).toContain('| 0 GiB | 0.833× | not yet measured | 1× |');
  });

  it('says where canfork is ahead, behind or even, only from the figures of the run', () => {
    const lines = standings(withPeers());
    expect(lines).toContain('- canfork spawn vs Bun.spawn (call to exit): **ahead** at 0 GiB (0.5 vs 0.6 ms); **behind** at 8 GiB (0.8 vs 0.6 ms)');
    expect(lines).toContain('- canfork spawnSync vs Bun.spawnSync: even at 0 GiB (0.7 vs 0.7 ms), 8 GiB (0.7 vs 0.7 ms)');
    expect(lines).toContain('- canfork throughput vs Bun (8 in flight): **ahead** at 0 GiB (900 vs 800/s); **behind** at 8 GiB (700 vs 800/s)');
    // Deno did not run: no line claims anything about it.
    expect(lines.some((line) => line.includes('Deno'))).toBe(false);
    const markdown = markdownReport(withPeers());
    expect(markdown).toContain('Node v20.0.0, Bun 1.4.5.');
    expect(markdown).toContain('0.5 ms (p99 1, n 300)');
  });
});

describe('markdownReport and the charts', () => {
  it('render "not yet measured" for missing figures and never NaN', () => {
    const data = results(null, null);
    // Neither canfork spawn nor canFork() exported yet, at any level.
    data.spawn[0] = spawnRow(0, 1.3, null, 0.4, null);
    data.canFork = data.canFork.map((row) => forkRow(row.rssBytes, row.vmas, null, row.smapsMs!, row.mapsMs!, row.addedMappings));
    const markdown = markdownReport(data);
    expect(markdown).toContain('| 8 GiB | 200 ms (180–300, n 10) | not yet measured |');
    expect(markdown).toContain('- not yet measured: no peer ran (see the notes)');
    for (const svg of [spawnChart(data), canForkChart(data)]) {
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(svg).not.toMatch(/NaN|Infinity|undefined/);
      expect(svg.match(/<g>/g)?.length).toBe(svg.match(/<\/g>/g)?.length);
      expect(svg).toContain('(not yet measured)');
    }
  });

  it('gives the memory per live child with the whole RSS beside the heap and the part outside it', () => {
    const data = { ...results(0.5, 0.3), memory: [
      { spawner: 'canfork' as const, stdio: 'ignore' as const, children: 200, heapUsedBytes: 1850, outsideHeapBytes: -2500, rssBytes: 3930 },
    ] };
    expect(markdownReport(data)).toContain('| \'ignore\' | canfork spawn | 1.81 KiB | -2.44 KiB | 3.84 KiB | 200 |');
  });

  it('gives the first spawns of each process apart, with the warm-up the timed figures had', () => {
    const data = results(0.5, 0.3);
    expect(markdownReport(data)).toContain('Each spawner was timed after 3 untimed spawns, with no warm-up beyond them.');
    data.warmUp = { spawns: 2500, ms: 2500, coldSpawns: 250 };
    data.spawn[0]!.stats = { ...data.spawn[0]!.stats, canforkColdMs: at(0.9), bunColdMs: at(0.75), canforkSyncColdMs: at(0.7), bunSyncColdMs: at(0.7) };
    const markdown = markdownReport(data);
    expect(markdown).toContain('after a warm-up of 2500 spawns or 2.5 s, whichever ended first');
    expect(markdown).toContain('the first 250 spawns of each process');
    expect(markdown).toContain('| 0 GiB | not yet measured | 0.9 ms (0.81–1.35, n 10) | not yet measured | 0.7 ms (0.63–1.05, n 10) | 0.75 ms (0.675–1.13, n 10) |'
      + ' 0.7 ms (0.63–1.05, n 10) | not yet measured | not yet measured | 1.2× | 1× |');
    expect(markdown).toContain('| 8 GiB | not yet measured |');
    expect(markdown).not.toContain('How each spawner settled');
    data.spawn[0]!.settlingCpuUs = { canfork: [145, 114, 62], bun: [55, 50] };
    expect(markdownReport(data)).toContain('How each spawner settled at 0 GiB');
    expect(markdownReport(data)).toContain('| spawner | 1–250 | 251–500 | 501–750 |');
    expect(markdownReport(data)).toContain('| canfork spawn | 145 µs | 114 µs | 62 µs |');
    expect(markdownReport(data)).toContain('| Bun.spawn | 55 µs | 50 µs | – |');
  });

  it('places a slower median higher on the log axis', () => {
    const svg = spawnChart(results(0.5, 0.3));
    const medians = [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)" r="3.5" fill="#d62728"><title>child_process\.spawn: median ([\d.]+)/g)]
      .map((m) => ({ y: Number(m[1]), ms: Number(m[2]) }));
    expect(medians).toHaveLength(2);
    expect(medians[1]!.ms).toBeGreaterThan(medians[0]!.ms);
    expect(medians[1]!.y).toBeLessThan(medians[0]!.y);
  });
});
