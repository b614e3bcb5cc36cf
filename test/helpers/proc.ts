// Small readers the tests use to look at what the kernel really did, independent of src/.
import { accessSync, constants, readFileSync } from 'node:fs';

const vmaHeader = /^([0-9a-f]+)-([0-9a-f]+) /;

/**
 * The VmFlags and size of the VMA that contains `address` in /proc/PID/smaps, or null. It may be
 * larger than the mapping asked for: the kernel merges neighbours with identical flags.
 */
export function vmaAt(address: bigint, pid: number | 'self' = 'self'): { flags: string[]; sizeBytes: number } | null {
  const smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n');
  let from = 0n;
  let to = 0n;
  const headerIndex = smaps.findIndex((line) => {
    const match = vmaHeader.exec(line);
    if (!match) return false;
    [from, to] = [BigInt(`0x${match[1]}`), BigInt(`0x${match[2]}`)];
    return from <= address && address < to;
  });
  if (headerIndex < 0) return null;
  for (let i = headerIndex + 1; i < smaps.length; i++) {
    const line = smaps[i]!;
    if (line.startsWith('VmFlags:')) {
      return { flags: line.slice('VmFlags:'.length).trim().split(/\s+/), sizeBytes: Number(to - from) };
    }
  }
  return null;
}

function statusField(name: string, pid: number | 'self' = 'self'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`${name} missing from /proc/${pid}/status`);
  return Number(line.split(/\s+/)[1]);
}

/** Resident set size in bytes. */
export function rssBytes(pid: number | 'self' = 'self'): number {
  return statusField('VmRSS', pid) * 1024;
}

/** Virtual size (mm->total_vm) in bytes. */
export function vmSizeBytes(pid: number | 'self' = 'self'): number {
  return statusField('VmSize', pid) * 1024;
}

export function meminfoBytes(field: string): number {
  const line = readFileSync('/proc/meminfo', 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  if (!line) throw new Error(`${field} missing from /proc/meminfo`);
  return Number(line.split(/\s+/)[1]) * 1024;
}

export function overcommitMode(): number {
  return Number(readFileSync('/proc/sys/vm/overcommit_memory', 'utf8'));
}

export const GiB = 2 ** 30;
export const MiB = 2 ** 20;

/**
 * Why a test cannot change the sysctl at `path` (printed, then the test skips), or '' when it can: it needs
 * root, and a writable /proc/sys (a container may mount it read-only).
 */
export function sysctlSkipReason(path: string): string {
  if (process.getuid?.() !== 0) return `changing ${path} needs root`;
  try {
    accessSync(path, constants.W_OK);
    return '';
  } catch (error) {
    return `${path} is not writable here (${(error as NodeJS.ErrnoException).code})`;
  }
}
