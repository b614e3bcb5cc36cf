// Summaries of repeated measurements: every figure the harness reports is a median, with p99, min, max and n.

/** The nearest-rank percentile `p` (0–100) of sorted samples: the smallest value at or above p % of them. */
function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** `{ median, p99, min, max, n }` of a list of numbers, or null when there are none. */
function summarize(samples) {
  if (!samples || samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, p99: percentile(sorted, 99), min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

/** numerator ÷ denominator, or null when either is missing or the denominator is 0. */
function ratio(numerator, denominator) {
  return numerator === null || numerator === undefined || denominator === null || denominator === undefined || denominator === 0
    ? null : numerator / denominator;
}

/** Rounds to `digits` significant digits, keeping null as null. */
function round(value, digits = 4) {
  if (value === null || value === undefined || !Number.isFinite(value)) return value ?? null;
  if (value === 0) return 0;
  return Number(value.toPrecision(digits));
}

/** A summary with every number rounded, for the JSON file. */
function roundSummary(summary) {
  if (!summary) return null;
  const rounded = { median: round(summary.median), min: round(summary.min), max: round(summary.max), n: summary.n };
  return summary.p99 === undefined ? rounded : { ...rounded, p99: round(summary.p99) };
}

module.exports = { percentile, summarize, ratio, round, roundSummary };
