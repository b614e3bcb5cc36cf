// /proc/PID/maps and /proc/PID/smaps (fs/proc/task_mmu.c show_map_vma, show_smap).
// maps costs the kernel a walk of the VMA list only; smaps also walks page tables, so its cost grows with RSS.
import { ProcfsParseError } from './parse-error';

/** One VMA as /proc/PID/maps shows it. */
export interface MapsVma {
  start: bigint;
  end: bigint;
  bytes: number;
  readable: boolean;
  writable: boolean;
  executable: boolean;
  /** 's' in the permissions: MAP_SHARED, never accountable (mm/mmap.c accountable_mapping). */
  shared: boolean;
  offset: bigint;
  device: string;
  inode: number;
  /** '' for anonymous memory; '[heap]', '[stack]', a file name (possibly ending ' (deleted)'). */
  path: string;
}

/** One VMA of /proc/PID/smaps: the maps line plus its VmFlags (two-letter codes: 'ac', 'dc', 'nr', …). */
export interface SmapsVma extends MapsVma {
  vmFlags: string[];
}

// start-end perms offset dev inode [path]; the path is padded with spaces and may itself contain spaces, and any
// byte but '/' and NUL in its names: the kernel escapes only '\n' (as \012). `s`: '.' also matches '\r', U+2028.
const HEADER = /^([0-9a-f]+)-([0-9a-f]+) ([r-])([w-])([x-])([ps]) ([0-9a-f]+) ([0-9a-f]+:[0-9a-f]+) (\d+)(?: +(.*))?$/s;

// Indexed access, not destructuring: this runs once per VMA on every canFork() call.
function parseHeader(match: RegExpExecArray): MapsVma {
  const start = BigInt(`0x${match[1]}`);
  const end = BigInt(`0x${match[2]}`);
  return {
    start,
    end,
    bytes: Number(end - start),
    readable: match[3] === 'r',
    writable: match[4] === 'w',
    executable: match[5] === 'x',
    shared: match[6] === 's',
    offset: BigInt(`0x${match[7]}`),
    device: match[8] as string,
    inode: Number(match[9]),
    path: match[10] ?? '',
  };
}

/** Parses the text of /proc/PID/maps. */
export function parseMaps(text: string, path?: string): MapsVma[] {
  const vmas: MapsVma[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    if (line === '') continue;
    const match = HEADER.exec(line);
    if (!match) throw new ProcfsParseError(`unexpected line '${line.slice(0, 80)}'`, path, index + 1);
    const vma = parseHeader(match);
    if (vma.end <= vma.start) throw new ProcfsParseError(`empty or inverted range '${line.slice(0, 40)}'`, path, index + 1);
    vmas.push(vma);
  }
  return vmas;
}

const NEWLINE = 0x0a;
const DASH = 0x2d;
const SPACE = 0x20;
const COLON = 0x3a;
const CHAR_R = 0x72;
const CHAR_W = 0x77;
const CHAR_X = 0x78;
const CHAR_P = 0x70;
const CHAR_S = 0x73;
// 13 hex digits are 52 bits: exact in a double. Longer ones (the vsyscall page ffffffffff600000) go through BigInt.
const EXACT_HEX_DIGITS = 13;

// By byte below 128: the value of a lowercase hex digit (maps prints %08lx), else -1.
const HEX_DIGITS = new Int8Array(128).fill(-1);
for (let digit = 0; digit < 16; digit++) HEX_DIGITS['0123456789abcdef'.charCodeAt(digit)] = digit;

/** The value of a lowercase hex digit, or -1; past the end of the bytes (undefined) gives -1 too. */
function hexValue(byte: number | undefined): number {
  return byte !== undefined && byte < 128 ? (HEX_DIGITS[byte] as number) : -1;
}

function hexRunEnd(bytes: Uint8Array, from: number): number {
  let at = from;
  while (hexValue(bytes[at]) >= 0) at++;
  return at;
}

function decimalRunEnd(bytes: Uint8Array, from: number): number {
  let at = from;
  for (let byte = bytes[at]; byte !== undefined && byte >= 0x30 && byte <= 0x39; byte = bytes[++at]);
  return at;
}

/** Where a `[0-9a-f]+:[0-9a-f]+ ` device field followed by offset and space ends, or -1. */
function deviceEnd(bytes: Uint8Array, from: number): number {
  const major = hexRunEnd(bytes, from);
  if (major === from || bytes[major] !== COLON) return -1;
  const minor = hexRunEnd(bytes, major + 1);
  return minor === major + 1 || bytes[minor] !== SPACE ? -1 : minor + 1;
}

function isPermissions(bytes: Uint8Array, at: number): boolean {
  const read = bytes[at];
  const write = bytes[at + 1];
  const execute = bytes[at + 2];
  const sharing = bytes[at + 3];
  return (read === CHAR_R || read === DASH) && (write === CHAR_W || write === DASH) &&
    (execute === CHAR_X || execute === DASH) && (sharing === CHAR_P || sharing === CHAR_S) && bytes[at + 4] === SPACE;
}

/**
 * Where scanPrivateVmas() puts the private VMAs of a maps text, in address order (the model's VmaTally sums and
 * ranks them). Two steps, so that only the VMAs the sink wants cost a BigInt, a string and an object.
 */
export interface PrivateVmaSink {
  /** A private VMA's size; true asks for the whole VMA (addresses and path) through addDetails(). */
  add(bytes: number): boolean;
  addDetails(vma: { start: bigint; end: bigint; bytes: number; path: string }): void;
}

/**
 * The private VMAs of a /proc/PID/maps text, in one pass into `sink`: what parseMaps of its UTF-8 decoding + filtering
 * out the shared ones gives, without a regex match, BigInts or an object per VMA. It reads the bytes as read: the
 * fields are ASCII, so only the paths asked for (and a bad line's text) are decoded, not the whole text. Accepts
 * exactly the lines parseMaps accepts.
 */
export function scanPrivateVmas(bytes: Buffer, sink: PrivateVmaSink, path?: string): void {
  let lineNumber = 0;
  let lineEnd: number;
  // No closure in this loop: one capturing the line bounds would slow every line down.
  for (let lineStart = 0; lineStart < bytes.length; lineStart = lineEnd + 1) {
    lineNumber++;
    lineEnd = bytes.indexOf(NEWLINE, lineStart);
    if (lineEnd < 0) lineEnd = bytes.length;
    if (lineEnd === lineStart) continue;

    let start = 0;
    let at = lineStart;
    for (let digit = hexValue(bytes[at]); digit >= 0; digit = hexValue(bytes[++at])) start = start * 16 + digit;
    const startEnd = at;
    if (startEnd === lineStart || bytes[at] !== DASH) throw unexpectedLine(bytes, lineStart, lineEnd, path, lineNumber);
    let end = 0;
    for (let digit = hexValue(bytes[++at]); digit >= 0; digit = hexValue(bytes[++at])) end = end * 16 + digit;
    const endEnd = at;
    if (endEnd === startEnd + 1 || bytes[at] !== SPACE || !isPermissions(bytes, at + 1)) {
      throw unexpectedLine(bytes, lineStart, lineEnd, path, lineNumber);
    }
    const shared = bytes[at + 4] === CHAR_S;
    const offsetEnd = hexRunEnd(bytes, at + 6);
    if (offsetEnd === at + 6 || bytes[offsetEnd] !== SPACE) throw unexpectedLine(bytes, lineStart, lineEnd, path, lineNumber);
    const inodeStart = deviceEnd(bytes, offsetEnd + 1);
    const inodeEnd = inodeStart < 0 ? -1 : decimalRunEnd(bytes, inodeStart);
    if (inodeEnd <= inodeStart || (inodeEnd !== lineEnd && bytes[inodeEnd] !== SPACE)) {
      throw unexpectedLine(bytes, lineStart, lineEnd, path, lineNumber);
    }

    let size: number;
    let exactStart: bigint | undefined;
    let exactEnd: bigint | undefined;
    if (startEnd - lineStart <= EXACT_HEX_DIGITS && endEnd - startEnd - 1 <= EXACT_HEX_DIGITS) {
      size = end - start;
    } else {
      exactStart = BigInt(`0x${bytes.toString('latin1', lineStart, startEnd)}`);
      exactEnd = BigInt(`0x${bytes.toString('latin1', startEnd + 1, endEnd)}`);
      size = exactEnd > exactStart ? Number(exactEnd - exactStart) : 0;
    }
    if (size <= 0) {
      throw new ProcfsParseError(`empty or inverted range '${bytes.toString('utf8', lineStart, lineEnd).slice(0, 40)}'`, path, lineNumber);
    }
    if (shared) continue; // MAP_SHARED is never accountable (accountable_mapping)
    if (!sink.add(size)) continue;
    let pathStart = inodeEnd;
    while (bytes[pathStart] === SPACE) pathStart++;
    sink.addDetails({ start: exactStart ?? BigInt(start), end: exactEnd ?? BigInt(end), bytes: size, path: bytes.toString('utf8', pathStart, lineEnd) });
  }
}

function unexpectedLine(bytes: Buffer, lineStart: number, lineEnd: number, path: string | undefined, lineNumber: number): ProcfsParseError {
  return new ProcfsParseError(`unexpected line '${bytes.toString('utf8', lineStart, lineEnd).slice(0, 80)}'`, path, lineNumber);
}

// Every other smaps line is `Name:  value [kB]` (Size, Rss, …, THPeligible, ProtectionKey).
const FIELD = /^[A-Za-z_][\w]*:/;

/** Parses the text of /proc/PID/smaps; keeps the headers and VmFlags, checks the rest only for shape. */
export function parseSmaps(text: string, path?: string): SmapsVma[] {
  const vmas: SmapsVma[] = [];
  const lines = text.split('\n');
  let current: SmapsVma | undefined;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    if (line === '') continue;
    if (line.startsWith('VmFlags:')) {
      if (!current) throw new ProcfsParseError('VmFlags before any VMA', path, index + 1);
      current.vmFlags = line.slice('VmFlags:'.length).trim().split(/\s+/).filter((flag) => flag !== '');
      continue;
    }
    const match = HEADER.exec(line);
    if (match) {
      current = { ...parseHeader(match), vmFlags: [] };
      vmas.push(current);
      continue;
    }
    if (!current || !FIELD.test(line)) throw new ProcfsParseError(`unexpected line '${line.slice(0, 80)}'`, path, index + 1);
  }
  return vmas;
}
