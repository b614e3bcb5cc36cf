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

// start-end perms offset dev inode [path]; the path is padded with spaces and may itself contain spaces.
const HEADER = /^([0-9a-f]+)-([0-9a-f]+) ([r-])([w-])([x-])([ps]) ([0-9a-f]+) ([0-9a-f]+:[0-9a-f]+) (\d+)(?: +(.*))?$/;

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
