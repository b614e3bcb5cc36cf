// /proc/meminfo: RAM, swap and the overcommit counters (fs/proc/meminfo.c meminfo_proc_show).
import { readKeptFile } from './kept-file';
import { ProcfsParseError } from './parse-error';

export interface Meminfo {
  /** MemTotal: totalram_pages. */
  memTotalBytes: number;
  memFreeBytes: number;
  buffersBytes: number;
  cachedBytes: number;
  shmemBytes: number;
  swapCachedBytes: number;
  sReclaimableBytes: number;
  /** SwapTotal: total_swap_pages. */
  swapTotalBytes: number;
  swapFreeBytes: number;
  /** CommitLimit: vm_commit_limit(). */
  commitLimitBytes: number;
  /** Committed_AS: vm_committed_as. */
  committedBytes: number;
  /** MemAvailable (3.14+): the kernel's estimate of what can be allocated without swapping; null when absent. */
  availableBytes: number | null;
}

const FIELDS: Record<string, Exclude<keyof Meminfo, 'availableBytes'>> = {
  MemTotal: 'memTotalBytes',
  MemFree: 'memFreeBytes',
  Buffers: 'buffersBytes',
  Cached: 'cachedBytes',
  Shmem: 'shmemBytes',
  SwapCached: 'swapCachedBytes',
  SReclaimable: 'sReclaimableBytes',
  SwapTotal: 'swapTotalBytes',
  SwapFree: 'swapFreeBytes',
  CommitLimit: 'commitLimitBytes',
  Committed_AS: 'committedBytes',
};

// The kernel's shape of a line (seq_printf "%s:%*lu kB"): what every line must match.
const LINE = /^([\w()]+):\s+(\d+)(?: kB)?$/;

/** Whether a character code is in `[\w()]` (a field name). */
function isNameCode(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39) || code === 0x5f || code === 0x28 ||
    code === 0x29;
}

// Every field this parser keeps, by the name the kernel prints.
const KEPT_NAMES = [...Object.keys(FIELDS), 'MemAvailable'];

/** The kept field named by text[start, end), or undefined; compared in place, so other lines cost no string. */
function keptName(text: string, start: number, end: number): string | undefined {
  const length = end - start;
  for (let index = 0; index < KEPT_NAMES.length; index++) {
    const name = KEPT_NAMES[index] as string;
    if (name.length === length && text.startsWith(name, start)) return name;
  }
  return undefined;
}

function keep(meminfo: Partial<Meminfo>, name: string, kilobytes: string): void {
  const bytes = Number(kilobytes) * 1024;
  if (name === 'MemAvailable') meminfo.availableBytes = bytes;
  else meminfo[FIELDS[name] as Exclude<keyof Meminfo, 'availableBytes'>] = bytes;
}

/**
 * Whether the line text[start, end) matches LINE; a kept field's value goes into `meminfo`. The kernel's form (name,
 * ':', spaces, digits, ' kB') is recognised by hand, a subset of LINE; anything else goes through LINE itself, so the
 * lines accepted are exactly LINE's.
 */
function takeLine(text: string, start: number, end: number, meminfo: Partial<Meminfo>): boolean {
  let at = start;
  while (at < end && isNameCode(text.charCodeAt(at))) at++;
  const colon = at;
  if (colon > start && text.charCodeAt(colon) === 0x3a && text.charCodeAt(colon + 1) === 0x20) {
    at = colon + 1;
    while (text.charCodeAt(at) === 0x20) at++;
    const digits = at;
    while (at < end && text.charCodeAt(at) >= 0x30 && text.charCodeAt(at) <= 0x39) at++;
    const digitsEnd = at;
    if (digitsEnd > digits && (at === end || (at + 3 === end && text.startsWith(' kB', at)))) {
      const name = keptName(text, start, colon);
      if (name !== undefined) keep(meminfo, name, text.slice(digits, digitsEnd));
      return true;
    }
  }
  const match = LINE.exec(text.slice(start, end));
  if (!match) return false;
  const name = match[1] as string;
  if (keptName(name, 0, name.length) !== undefined) keep(meminfo, name, match[2] as string);
  return true;
}

/** Parses the text of /proc/meminfo; every field is `Name:   123 kB`. */
export function parseMeminfo(text: string, path?: string): Meminfo {
  const meminfo: Partial<Meminfo> = { availableBytes: null };
  // One pass over the text, no split or regex per line: canFork() reads this file on every call.
  let lineNumber = 0;
  for (let start = 0; start <= text.length; lineNumber++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start && !takeLine(text, start, end, meminfo)) {
      throw new ProcfsParseError(`unexpected line '${text.slice(start, end).slice(0, 80)}'`, path, lineNumber + 1);
    }
    start = end + 1;
  }
  const missing = Object.entries(FIELDS).filter(([, key]) => meminfo[key] === undefined).map(([name]) => name);
  if (missing.length > 0) throw new ProcfsParseError(`missing ${missing.join(', ')}`, path);
  return meminfo as Meminfo;
}

export function readMeminfo(): Meminfo {
  const path = '/proc/meminfo';
  return parseMeminfo(readKeptFile(path), path);
}
