// /proc/meminfo: RAM, swap and the overcommit counters (fs/proc/meminfo.c meminfo_proc_show).
import { fieldIndex, fieldNames } from './field-names';
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

// The fields this parser keeps, by the name the kernel prints, in the order parseMeminfo's result lists them;
// MemAvailable (3.14+) last, the one that may be absent.
const KEPT_NAMES = [
  'MemTotal', 'MemFree', 'Buffers', 'Cached', 'Shmem', 'SwapCached', 'SReclaimable', 'SwapTotal', 'SwapFree', 'CommitLimit',
  'Committed_AS', 'MemAvailable',
] as const;
const REQUIRED = KEPT_NAMES.length - 1;

// The kernel's shape of a line (seq_printf "%s:%*lu kB"): what every line must match.
const LINE = /^([\w()]+):\s+(\d+)(?: kB)?$/;

/** Whether a character code is in `[\w()]` (a field name). */
function isNameCode(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39) || code === 0x5f || code === 0x28 ||
    code === 0x29;
}

const KEPT = fieldNames(KEPT_NAMES);

/**
 * Whether the line text[start, end) matches LINE; a kept field's value in bytes goes into `bytes` at its index. The
 * kernel's form (name, ':', spaces, digits, ' kB') is recognised by hand, a subset of LINE; anything else goes
 * through LINE itself, so the lines accepted are exactly LINE's.
 */
function takeLine(text: string, start: number, end: number, bytes: Float64Array): boolean {
  let at = start;
  while (at < end && isNameCode(text.charCodeAt(at))) at++;
  const colon = at;
  if (colon > start && text.charCodeAt(colon) === 0x3a && text.charCodeAt(colon + 1) === 0x20) {
    at = colon + 1;
    while (text.charCodeAt(at) === 0x20) at++;
    const digits = at;
    let kilobytes = 0;
    for (let code = text.charCodeAt(at); at < end && code >= 0x30 && code <= 0x39; code = text.charCodeAt(++at)) kilobytes = kilobytes * 10 + code - 0x30;
    const digitsEnd = at;
    if (digitsEnd > digits && (at === end || (at + 3 === end && text.startsWith(' kB', at)))) {
      const index = fieldIndex(KEPT, text, start, colon);
      // Summed digit by digit the value is exact up to 15 digits; a longer one is converted as a whole, as Number() rounds it.
      if (index >= 0) bytes[index] = (digitsEnd - digits <= 15 ? kilobytes : Number(text.slice(digits, digitsEnd))) * 1024;
      return true;
    }
  }
  const match = LINE.exec(text.slice(start, end));
  if (!match) return false;
  const name = match[1] as string;
  const index = fieldIndex(KEPT, name, 0, name.length);
  if (index >= 0) bytes[index] = Number(match[2]) * 1024;
  return true;
}

/** Parses the text of /proc/meminfo; every field is `Name:   123 kB`. */
export function parseMeminfo(text: string, path?: string): Meminfo {
  // By KEPT_NAMES' index, NaN until read; the result is made at the end, in one shape.
  const bytes = new Float64Array(KEPT_NAMES.length).fill(Number.NaN);
  // One pass over the text, no split or regex per line: canFork() reads this file on every call.
  let lineNumber = 0;
  for (let start = 0; start <= text.length; lineNumber++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start && !takeLine(text, start, end, bytes)) {
      throw new ProcfsParseError(`unexpected line '${text.slice(start, end).slice(0, 80)}'`, path, lineNumber + 1);
    }
    start = end + 1;
  }
  for (let index = 0; index < REQUIRED; index++) {
    if (Number.isNaN(bytes[index])) {
      const missing = KEPT_NAMES.slice(0, REQUIRED).filter((_, kept) => Number.isNaN(bytes[kept]));
      throw new ProcfsParseError(`missing ${missing.join(', ')}`, path);
    }
  }
  const available = bytes[REQUIRED] as number;
  // In KEPT_NAMES' order.
  return {
    memTotalBytes: bytes[0] as number,
    memFreeBytes: bytes[1] as number,
    buffersBytes: bytes[2] as number,
    cachedBytes: bytes[3] as number,
    shmemBytes: bytes[4] as number,
    swapCachedBytes: bytes[5] as number,
    sReclaimableBytes: bytes[6] as number,
    swapTotalBytes: bytes[7] as number,
    swapFreeBytes: bytes[8] as number,
    commitLimitBytes: bytes[9] as number,
    committedBytes: bytes[10] as number,
    availableBytes: Number.isNaN(available) ? null : available,
  };
}

export function readMeminfo(): Meminfo {
  const path = '/proc/meminfo';
  return parseMeminfo(readKeptFile(path), path);
}
