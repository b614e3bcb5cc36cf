// Where a supervised child's own cgroup can be made: under the caller's cgroup in the v2 hierarchy (found
// through /proc/self/mountinfo, wherever it is mounted), else in a v1 freezer or pids hierarchy. Nothing is
// created here; this only reads /proc.
import { readFileSync, readlinkSync } from 'node:fs';
import { parseCgroupMounts, parseProcCgroup, type CgroupMount } from '../procfs/cgroup';

export type CgroupV1Controller = 'freezer' | 'pids';

export type CgroupSite =
  | { version: 2; parent: string }
  | { version: 1; controller: CgroupV1Controller; parent: string; mount: CgroupMount };

/** The directory of `cgroupPath` under `mount`, or null when the mount shows a subtree that excludes it. */
export function cgroupDirectory(mount: CgroupMount, cgroupPath: string): string | null {
  const root = mount.root === '/' ? '' : mount.root;
  if (root !== '' && cgroupPath !== root && !cgroupPath.startsWith(`${root}/`)) return null;
  // A path outside the reader's cgroup namespace shows as '/..'; it has no directory here.
  if (cgroupPath.split('/').includes('..')) return null;
  const inside = cgroupPath.slice(root.length);
  return `${mount.mountPoint}${inside === '/' ? '' : inside}`;
}

function readMounts(): CgroupMount[] {
  return parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'), '/proc/self/mountinfo');
}

/** The v2 site: the calling process's own v2 cgroup, or a reason why there is none. */
export function locateV2Site(mounts = readMounts()): CgroupSite | string {
  const mount = mounts.find((entry) => entry.fsType === 'cgroup2');
  if (mount === undefined) return 'no cgroup2 hierarchy is mounted (/proc/self/mountinfo)';
  const membership = parseProcCgroup(readFileSync('/proc/self/cgroup', 'utf8'), '/proc/self/cgroup').find((line) => line.hierarchyId === 0);
  if (membership === undefined) return 'this process has no cgroup v2 membership (/proc/self/cgroup)';
  const parent = cgroupDirectory(mount, membership.path);
  if (parent === null) return `this process's cgroup ${membership.path} is not visible under ${mount.mountPoint}`;
  return { version: 2, parent };
}

/** The v1 site of `controller`: the calling thread's cgroup in that hierarchy (v1 places threads). */
export function locateV1Site(controller: CgroupV1Controller, mounts = readMounts()): CgroupSite | string {
  const mount = mounts.find((entry) => entry.fsType === 'cgroup' && entry.superOptions.includes(controller));
  if (mount === undefined) return `no cgroup v1 ${controller} hierarchy is mounted`;
  const path = threadCgroupPath(controller);
  if (path === null) return `this thread is in no ${controller} cgroup`;
  const parent = cgroupDirectory(mount, path);
  if (parent === null) return `this thread's ${controller} cgroup ${path} is not visible under ${mount.mountPoint}`;
  return { version: 1, controller, parent, mount };
}

/** The calling thread's cgroup path in the v1 hierarchy of `controller` (/proc/thread-self/cgroup). */
export function threadCgroupPath(controller: CgroupV1Controller): string | null {
  const memberships = parseProcCgroup(readFileSync('/proc/thread-self/cgroup', 'utf8'), '/proc/thread-self/cgroup');
  return memberships.find((line) => line.hierarchyId !== 0 && line.controllers.includes(controller))?.path ?? null;
}

/** The calling thread's id, from /proc/thread-self ('PID/task/TID'): fs calls run on the calling thread. */
export function currentThreadId(): number {
  const link = readlinkSync('/proc/thread-self');
  const tid = Number(link.slice(link.lastIndexOf('/') + 1));
  if (!Number.isSafeInteger(tid) || tid < 1) throw new Error(`unexpected /proc/thread-self link '${link.slice(0, 60)}'`);
  return tid;
}
