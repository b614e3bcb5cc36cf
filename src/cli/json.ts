// --json: the scan as JSON. Bigints (VMA addresses) become decimal strings and unlimited values
// (Infinity) the string "Infinity", since JSON has neither; Number("Infinity") reads them back.
import { rankByRisk, verdictOf } from './rank';
import type { Scan } from './scan';

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

export function renderJson(scan: Scan): string {
  const document = {
    takenAt: scan.takenAt.toISOString(),
    machine: scan.machine,
    processes: rankByRisk(scan.processes).map((entry) => ({
      pid: entry.pid,
      comm: entry.comm,
      verdict: verdictOf(entry),
      error: entry.error,
      report: entry.report,
    })),
    missing: scan.missing,
  };
  return JSON.stringify(document, replacer, 2);
}
