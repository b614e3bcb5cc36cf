// The page size, from the auxiliary vector the kernel gave this process (AT_PAGESZ in /proc/self/auxv).
import { readFileSync } from 'node:fs';
import { ProcfsParseError } from './parse-error';

const AT_NULL = 0n;
const AT_PAGESZ = 6n;

/** Finds AT_PAGESZ in a 64-bit little- or big-endian auxv image: (type, value) pairs of 8 bytes each, ending in AT_NULL. */
export function parseAuxvPageSize(auxv: Buffer, path?: string): number {
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  for (let offset = 0; offset + 16 <= auxv.length; offset += 16) {
    const type = littleEndian ? auxv.readBigUInt64LE(offset) : auxv.readBigUInt64BE(offset);
    if (type === AT_NULL) break;
    if (type === AT_PAGESZ) return Number(littleEndian ? auxv.readBigUInt64LE(offset + 8) : auxv.readBigUInt64BE(offset + 8));
  }
  throw new ProcfsParseError('no AT_PAGESZ entry', path);
}

let cachedPageBytes: number | undefined;

/** The kernel's page size in bytes (read once: it cannot change while we run). */
export function pageBytes(): number {
  if (cachedPageBytes === undefined) {
    const path = '/proc/self/auxv';
    cachedPageBytes = parseAuxvPageSize(readFileSync(path), path);
  }
  return cachedPageBytes;
}
