// --json: the scan as JSON. Bigints (VMA addresses) become decimal strings and unlimited values
// (Infinity) the string "Infinity", since JSON has neither; Number("Infinity") reads them back.
import { rankByRisk, verdictOf } from './rank';
import type { Scan } from './scan';

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

/**
 * The version of the document's shape: raised when a field changes meaning or goes away (adding one does
 * not), so that a consumer can refuse a shape it does not know.
 */
export const JSON_SCHEMA_VERSION = 1;

/** The scan as one JSON document; `compact` puts it on one line (--watch --json streams one per line). */
export function renderJson(scan: Scan, { compact = false }: { compact?: boolean } = {}): string {
  const document = {
    schemaVersion: JSON_SCHEMA_VERSION,
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
  return JSON.stringify(document, replacer, compact ? undefined : 2);
}
