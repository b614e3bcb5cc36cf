// The OOM side: memory PSI, oom_kill of /proc/vmstat (captured here), oom_score, MemAvailable.
import { describe, expect, it } from 'vitest';
import { machineSummary } from '../../src/index';
import { parseMeminfo } from '../../src/procfs/meminfo';
import { parseMemoryPressure, parseOomKills, readMemoryPressure, readOomKills, readOomScore } from '../../src/procfs/pressure';
import { ProcfsParseError } from '../../src/procfs/parse-error';
import { fixture } from './fixture';

describe('memory pressure (PSI)', () => {
  it('avg10 of some and full as ratios', () => {
    expect(parseMemoryPressure(fixture('proc/machine/pressure-memory'))).toEqual({ some: 0, full: 0 });
    const loaded = 'some avg10=12.50 avg60=3.00 avg300=1.00 total=123456\nfull avg10=0.75 avg60=0.10 avg300=0.00 total=456\n';
    expect(parseMemoryPressure(loaded)).toEqual({ some: 0.125, full: 0.0075 });
  });

  it('rejects a file without the lines', () => {
    expect(() => parseMemoryPressure('some avg10=1.00 avg60=0.00\n', 'x')).toThrow(ProcfsParseError);
    expect(() => parseMemoryPressure('')).toThrow(/some avg10/);
  });

  it('reads this kernel\'s, or null without PSI', () => {
    const live = readMemoryPressure();
    if (live !== null) {
      expect(live.some).toBeGreaterThanOrEqual(0);
      expect(live.full).toBeLessThanOrEqual(live.some);
    }
  });
});

describe('oom_kill and oom_score', () => {
  it('oom_kill from vmstat; null where the kernel does not count it', () => {
    expect(parseOomKills(fixture('proc/machine/vmstat'))).toBe(0);
    expect(parseOomKills('nr_free_pages 1\noom_kill 42\n')).toBe(42);
    expect(parseOomKills('nr_free_pages 1\n')).toBeNull();
    expect(() => parseOomKills('oom_kill x\n')).toThrow(ProcfsParseError);
    expect(readOomKills()).toEqual(expect.any(Number));
  });

  it('oom_score of this process; null for one that does not exist', () => {
    const score = readOomScore(process.pid);
    expect(score).toBeGreaterThanOrEqual(0);
    expect(score).toBeLessThanOrEqual(2000);
    expect(readOomScore(4194304)).toBeNull();
  });

  it('MemAvailable, or null on kernels before 3.14', () => {
    const text = fixture('proc/machine/meminfo');
    expect(parseMeminfo(text).availableBytes).toBe(Number(/^MemAvailable:\s+(\d+) kB$/m.exec(text)![1]) * 1024);
    expect(parseMeminfo(text.split('\n').filter((line) => !line.startsWith('MemAvailable')).join('\n')).availableBytes).toBeNull();
  });
});

describe('machineSummary()', () => {
  it('carries the OOM side: MemAvailable, memory PSI and the OOM kill count', () => {
    const summary = machineSummary();
    expect(summary.availableBytes).toBeGreaterThan(0);
    expect(summary.availableBytes).toBeLessThanOrEqual(summary.totalRamBytes + summary.totalSwapBytes);
    expect(summary.oomKills).toBe(readOomKills());
    expect(summary.memoryPressure === null).toBe(readMemoryPressure() === null);
  });
});
