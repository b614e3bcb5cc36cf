// /proc/PID/limits: the soft and hard rlimits of any process, readable without ptrace rights.
import { readFileSync } from 'node:fs';
import { ProcfsParseError } from './parse-error';

// The row titles of fs/proc/base.c lnames[], in RLIMIT_* order, and the names getrlimit() takes (src/rlimit.ts; the
// two sets are checked equal where test/native/rlimit.test.ts indexes these limits by RLIMIT_RESOURCES).
const ROW_TITLES = {
  'Max cpu time': 'cpu',
  'Max file size': 'fsize',
  'Max data size': 'data',
  'Max stack size': 'stack',
  'Max core file size': 'core',
  'Max resident set': 'rss',
  'Max processes': 'nproc',
  'Max open files': 'nofile',
  'Max locked memory': 'memlock',
  'Max address space': 'as',
  'Max file locks': 'locks',
  'Max pending signals': 'sigpending',
  'Max msgqueue size': 'msgqueue',
  'Max nice priority': 'nice',
  'Max realtime priority': 'rtprio',
  'Max realtime timeout': 'rttime',
} as const;

/** A resource's name: 'nproc', 'nofile', ... */
export type LimitName = (typeof ROW_TITLES)[keyof typeof ROW_TITLES];

/** One row: the soft and the hard limit, Infinity for 'unlimited'. */
export interface LimitPair {
  soft: number;
  hard: number;
}

export type ProcessLimits = Record<LimitName, LimitPair>;

const RESOURCE_OF_TITLE: ReadonlyMap<string, LimitName> = new Map(Object.entries(ROW_TITLES));

function parseValue(text: string, path: string | undefined, line: number): number {
  if (text === 'unlimited') return Infinity;
  if (!/^\d+$/.test(text)) throw new ProcfsParseError(`bad limit value '${text}'`, path, line);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new ProcfsParseError(`limit value ${text} is not exact`, path, line);
  return value;
}

/** Parses the text of /proc/PID/limits. */
export function parseLimits(text: string, path?: string): ProcessLimits {
  const limits: Partial<ProcessLimits> = {};
  const lines = text.split('\n');
  lines.forEach((row, index) => {
    if (index === 0 || row.trim() === '') return; // header
    // Columns are fixed-width; titles contain single spaces, columns are separated by two or more.
    const [title, soft, hard] = row.trim().split(/\s{2,}/);
    const resource = title === undefined ? undefined : RESOURCE_OF_TITLE.get(title);
    if (resource === undefined || soft === undefined || hard === undefined) {
      throw new ProcfsParseError(`unexpected row '${row.slice(0, 80)}'`, path, index + 1);
    }
    limits[resource] = { soft: parseValue(soft, path, index + 1), hard: parseValue(hard, path, index + 1) };
  });
  const missing = Object.values(ROW_TITLES).filter((resource) => !limits[resource]);
  if (missing.length > 0) throw new ProcfsParseError(`missing rows for ${missing.join(', ')}`, path);
  return limits as ProcessLimits;
}

/** Reads /proc/PID/limits (`pid` defaults to this process). */
export function readLimits(pid: number | 'self' = 'self'): ProcessLimits {
  const path = `/proc/${pid}/limits`;
  return parseLimits(readFileSync(path, 'utf8'), path);
}
