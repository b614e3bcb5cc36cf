// /proc/meminfo: RAM, swap and the overcommit counters (fs/proc/meminfo.c meminfo_proc_show).
import { readFileSync } from 'node:fs';
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

/** Parses the text of /proc/meminfo; every field is `Name:   123 kB`. */
export function parseMeminfo(text: string, path?: string): Meminfo {
  const meminfo: Partial<Meminfo> = { availableBytes: null };
  text.split('\n').forEach((line, index) => {
    if (line === '') return;
    const match = /^([\w()]+):\s+(\d+)(?: kB)?$/.exec(line);
    if (!match) throw new ProcfsParseError(`unexpected line '${line.slice(0, 80)}'`, path, index + 1);
    const [, name = '', kilobytes] = match;
    const key = FIELDS[name];
    if (key !== undefined) meminfo[key] = Number(kilobytes) * 1024;
    else if (name === 'MemAvailable') meminfo.availableBytes = Number(kilobytes) * 1024;
  });
  const missing = Object.entries(FIELDS).filter(([, key]) => meminfo[key] === undefined).map(([name]) => name);
  if (missing.length > 0) throw new ProcfsParseError(`missing ${missing.join(', ')}`, path);
  return meminfo as Meminfo;
}

export function readMeminfo(): Meminfo {
  const path = '/proc/meminfo';
  return parseMeminfo(readFileSync(path, 'utf8'), path);
}
