// The summary behind every benchmark figure: median with min, max and the sample count.
import { describe, expect, it } from 'vitest';
import { percentile, round, summarize } from '../../bench/lib/stats.cjs';

describe('summarize', () => {
  it('takes the middle value of an odd count and the mean of the two middle values of an even count', () => {
    expect(summarize([5, 1, 3])).toEqual({ median: 3, p99: 5, min: 1, max: 5, n: 3 });
    expect(summarize([4, 1, 3, 10])).toEqual({ median: 3.5, p99: 10, min: 1, max: 10, n: 4 });
  });

  it('gives the nearest-rank p99: the 99th of 100 samples, the 198th of 200, the largest of fewer than 100', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted on purpose
    expect(summarize(hundred)?.p99).toBe(99);
    expect(summarize(Array.from({ length: 200 }, (_, i) => i + 1))?.p99).toBe(198);
    expect(summarize([1, 2, 3, 50])?.p99).toBe(50);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
  });

  it('does not reorder the samples it was given', () => {
    const samples = [3, 1, 2];
    summarize(samples);
    expect(samples).toEqual([3, 1, 2]);
  });

  it('gives null for no samples, so a missing figure stays null in latest.json', () => {
    expect(summarize([])).toBeNull();
    expect(summarize(undefined)).toBeNull();
  });
});

describe('round', () => {
  it('keeps significant digits and passes null through', () => {
    expect(round(0.000123456)).toBe(0.0001235);
    expect(round(207.3456)).toBe(207.3);
    expect(round(null)).toBeNull();
  });
});
