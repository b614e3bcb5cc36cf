// Summaries of repeated measurements: every figure the harness reports is a median, with min and max.

/** `{ median, min, max, n }` of a list of numbers, or null when there are none. */
function summarize(samples) {
  if (!samples || samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
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
  return { median: round(summary.median), min: round(summary.min), max: round(summary.max), n: summary.n };
}

module.exports = { summarize, round, roundSummary };
