// The pids cgroup of a process and its ancestors: /proc/PID/cgroup (kernel/cgroup/cgroup.c proc_cgroup_show),
// /proc/self/mountinfo for where each hierarchy is mounted, and pids.max / pids.current (kernel/cgroup/pids.c).
import { readFileSync, statSync } from 'node:fs';
import { ProcfsParseError } from './parse-error';

/** One line of /proc/PID/cgroup: `hierarchy-id:controller,list:/path`; v2 is `0::/path`. */
export interface CgroupMembership {
  hierarchyId: number;
  controllers: string[];
  path: string;
}

/** A cgroup or cgroup2 mount from mountinfo. */
export interface CgroupMount {
  fsType: 'cgroup' | 'cgroup2';
  /** The directory of the hierarchy that is mounted (field 4), usually '/'. */
  root: string;
  mountPoint: string;
  superOptions: string[];
}

/** The pids hierarchy a process belongs to and the directories to read, innermost first. */
export interface PidsCgroupPlacement {
  version: 1 | 2;
  path: string;
  levels: Array<{ path: string; directory: string }>;
}

/** Whether text[from, end) has a line terminator other than '\n' (which `.` of a regex does not match). */
function hasLineTerminator(text: string, from: number, end: number): boolean {
  for (let at = from; at < end; at++) {
    const code = text.charCodeAt(at);
    if (code === 0x0d || code === 0x2028 || code === 0x2029) return true;
  }
  return false;
}

/** The membership on the line text[start, end): what /^(\d+):([^:]*):(\/.*)$/ accepts, or null. */
function membershipOn(text: string, start: number, end: number): CgroupMembership | null {
  const idEnd = text.indexOf(':', start);
  if (idEnd <= start || idEnd >= end) return null;
  for (let at = start; at < idEnd; at++) {
    const code = text.charCodeAt(at);
    if (code < 0x30 || code > 0x39) return null;
  }
  const controllersEnd = text.indexOf(':', idEnd + 1);
  if (controllersEnd < 0 || controllersEnd >= end || text.charCodeAt(controllersEnd + 1) !== 0x2f || hasLineTerminator(text, controllersEnd + 2, end)) {
    return null;
  }
  return {
    hierarchyId: Number(text.slice(start, idEnd)),
    controllers: controllersEnd === idEnd + 1 ? [] : text.slice(idEnd + 1, controllersEnd).split(','),
    path: text.slice(controllersEnd + 1, end),
  };
}

export function parseProcCgroup(text: string, path?: string): CgroupMembership[] {
  const memberships: CgroupMembership[] = [];
  // One pass, no split or regex per line: canFork() reads this file on every call.
  let lineNumber = 0;
  for (let start = 0; start <= text.length; lineNumber++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start) {
      const membership = membershipOn(text, start, end);
      if (membership === null) throw new ProcfsParseError(`unexpected line '${text.slice(start, end).slice(0, 80)}'`, path, lineNumber + 1);
      memberships.push(membership);
    }
    start = end + 1;
  }
  return memberships;
}

// mountinfo escapes space, tab, newline and backslash as \ooo (fs/proc_namespace.c show_mountinfo → mangle).
function unescapeMountField(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** The cgroup and cgroup2 mounts of a mountinfo text (Documentation/filesystems/proc.rst, 3.5). */
export function parseCgroupMounts(text: string, path?: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  text.split('\n').forEach((line, index) => {
    // Cheap skip of the (often hundreds of) other mounts; a malformed line still fails below if it names cgroup.
    if (line === '' || (!line.includes(' - cgroup') && / - \S+ /.test(line))) return;
    const fields = line.split(' ');
    const separator = fields.indexOf('-', 6);
    if (fields.length < 10 || separator < 0 || fields.length < separator + 4) {
      throw new ProcfsParseError(`unexpected line '${line.slice(0, 80)}'`, path, index + 1);
    }
    const fsType = fields[separator + 1];
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') return;
    mounts.push({
      fsType,
      root: unescapeMountField(fields[3] ?? '/'),
      mountPoint: unescapeMountField(fields[4] ?? ''),
      superOptions: (fields[separator + 3] ?? '').split(','),
    });
  });
  return mounts;
}

/** pids.max: a count, or 'max' for no limit (Infinity). */
export function parsePidsMax(text: string, path?: string): number {
  const trimmed = text.trim();
  if (trimmed === 'max') return Infinity;
  if (!/^\d+$/.test(trimmed)) throw new ProcfsParseError(`expected a count or 'max', got '${trimmed.slice(0, 40)}'`, path, 1);
  return Number(trimmed);
}

export function parsePidsCurrent(text: string, path?: string): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) throw new ProcfsParseError(`expected a count, got '${trimmed.slice(0, 40)}'`, path, 1);
  return Number(trimmed);
}

/** The directory of `cgroupPath` under the mount, or null when the mount shows only a subtree that excludes it. */
function joinDirectory(mount: CgroupMount, cgroupPath: string): string | null {
  // The membership path is relative to the hierarchy root; the mount may show only a subtree of it.
  const root = mount.root === '/' ? '' : mount.root;
  if (root !== '' && cgroupPath !== root && !cgroupPath.startsWith(`${root}/`)) return null;
  const inside = cgroupPath.slice(root.length);
  return `${mount.mountPoint}${inside === '/' ? '' : inside}`;
}

function ancestors(cgroupPath: string): string[] {
  const paths: string[] = [];
  let current = cgroupPath;
  for (;;) {
    paths.push(current);
    if (current === '/' || current === '') break;
    const slash = current.lastIndexOf('/');
    current = slash <= 0 ? '/' : current.slice(0, slash);
  }
  return paths;
}

/**
 * Where the pids controller of a process lives: the v1 hierarchy that lists `pids`, else the v2 hierarchy
 * (whose levels only have pids files where the parent enabled the controller). null without either mount.
 */
export function locatePidsCgroup(memberships: CgroupMembership[], mounts: CgroupMount[]): PidsCgroupPlacement | null {
  const v1 = memberships.find((membership) => membership.hierarchyId !== 0 && membership.controllers.includes('pids'));
  const v1Mount = mounts.find((mount) => mount.fsType === 'cgroup' && mount.superOptions.includes('pids'));
  if (v1 && v1Mount) return placement(1, v1.path, v1Mount);
  const v2 = memberships.find((membership) => membership.hierarchyId === 0);
  const v2Mount = mounts.find((mount) => mount.fsType === 'cgroup2');
  if (v2 && v2Mount) return placement(2, v2.path, v2Mount);
  return null;
}

function placement(version: 1 | 2, cgroupPath: string, mount: CgroupMount): PidsCgroupPlacement {
  return {
    version,
    path: cgroupPath,
    // Ancestors above a mounted subtree cannot be read from here; the walk stops at the mount.
    levels: ancestors(cgroupPath).flatMap((path) => {
      const directory = joinDirectory(mount, path);
      return directory === null ? [] : [{ path, directory }];
    }),
  };
}

// No stat first below the root: it would cost a stat at every level that has the files.
function readOptional(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    // The root cgroup, and v2 levels where the parent did not enable pids, have no pids files.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** One level of a pids cgroup (the process's own, or an ancestor) that has pids.max. */
export interface CgroupPidsLevel {
  /** The cgroup path relative to the hierarchy root ('/' for the root). */
  path: string;
  /** The pids.max / pids.current directory on disk. */
  directory: string;
  current: number;
  /** Infinity for 'max'. */
  max: number;
}

/** Reads pids.max and pids.current at each level that has them, innermost first. */
export function readPidsLevels(placement: PidsCgroupPlacement): CgroupPidsLevel[] {
  const levels: CgroupPidsLevel[] = [];
  for (const level of placement.levels) {
    const maxPath = `${level.directory}/pids.max`;
    // A hierarchy root has no pids files (CFTYPE_NOT_ON_ROOT): there a stat that finds none (a few µs) saves
    // the thrown ENOENT (its Error and stack cost tens of µs, on every canFork() of a process in the root).
    // In a container the '/' seen is its own cgroup, which has them: one stat more there, and only there.
    if (level.path === '/' && statSync(maxPath, { throwIfNoEntry: false }) === undefined) continue;
    const maxText = readOptional(maxPath);
    if (maxText === null) continue;
    const currentPath = `${level.directory}/pids.current`;
    const currentText = readOptional(currentPath);
    if (currentText === null) continue;
    levels.push({
      path: level.path,
      directory: level.directory,
      max: parsePidsMax(maxText, maxPath),
      current: parsePidsCurrent(currentText, currentPath),
    });
  }
  return levels;
}
