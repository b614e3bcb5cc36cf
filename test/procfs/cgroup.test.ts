import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  locatePidsCgroup, parseCgroupMounts, parseProcCgroup, parsePidsCurrent, parsePidsMax, readPidsLevels,
} from '../../src/procfs/cgroup';
import { ProcfsParseError } from '../../src/procfs/parse-error';
import { fixture } from './fixture';

describe('cgroup membership and mounts', () => {
  it('v1 (captured here): the pids hierarchy and its mount', () => {
    const memberships = parseProcCgroup(fixture('proc/node-small/cgroup'));
    expect(memberships).toContainEqual({ hierarchyId: 8, controllers: ['pids'], path: '/' });
    expect(memberships).toContainEqual({ hierarchyId: 0, controllers: [], path: '/' });
    const mounts = parseCgroupMounts(fixture('proc/machine/mountinfo'));
    expect(mounts).toContainEqual({ fsType: 'cgroup', root: '/', mountPoint: '/sys/fs/cgroup/pids', superOptions: ['rw', 'pids'] });
    expect(mounts.filter((mount) => mount.fsType === 'cgroup2')).toHaveLength(1);
    // Hybrid: pids is bound to v1, so the v1 hierarchy wins over the (controller-less) v2 one.
    expect(locatePidsCgroup(memberships, mounts)).toEqual({ version: 1, path: '/', levels: [{ path: '/', directory: '/sys/fs/cgroup/pids' }] });
    const nested = locatePidsCgroup([{ hierarchyId: 8, controllers: ['pids'], path: '/a/b' }], mounts);
    expect(nested?.levels).toEqual([
      { path: '/a/b', directory: '/sys/fs/cgroup/pids/a/b' },
      { path: '/a', directory: '/sys/fs/cgroup/pids/a' },
      { path: '/', directory: '/sys/fs/cgroup/pids' },
    ]);
  });

  it('v2 (built from the documented format): every ancestor up to the mount', () => {
    const placement = locatePidsCgroup(parseProcCgroup(fixture('cgroup-v2/cgroup')), parseCgroupMounts(fixture('cgroup-v2/mountinfo')));
    expect(placement).toEqual({
      version: 2,
      path: '/user.slice/user-1000.slice/session-2.scope',
      levels: [
        { path: '/user.slice/user-1000.slice/session-2.scope', directory: '/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope' },
        { path: '/user.slice/user-1000.slice', directory: '/sys/fs/cgroup/user.slice/user-1000.slice' },
        { path: '/user.slice', directory: '/sys/fs/cgroup/user.slice' },
        { path: '/', directory: '/sys/fs/cgroup' },
      ],
    });
  });

  it('a mount of a subtree (container view) strips the mounted root; escaped mount points are decoded', () => {
    const mounts = parseCgroupMounts('40 31 0:37 /docker/abc /sys/fs/cgroup/my\\040pids rw - cgroup cgroup rw,pids\n');
    expect(mounts[0]?.mountPoint).toBe('/sys/fs/cgroup/my pids');
    const placement = locatePidsCgroup([{ hierarchyId: 3, controllers: ['pids'], path: '/docker/abc/app' }], mounts);
    expect(placement?.levels).toEqual([
      { path: '/docker/abc/app', directory: '/sys/fs/cgroup/my pids/app' },
      { path: '/docker/abc', directory: '/sys/fs/cgroup/my pids' },
    ]);
  });

  it('no pids controller anywhere: null', () => {
    expect(locatePidsCgroup(parseProcCgroup('1:cpu:/\n'), parseCgroupMounts(fixture('proc/machine/mountinfo')))).toBeNull();
  });

  it('reads pids.max ("max" = Infinity) and pids.current at the levels that have them (a v2 tree built on disk)', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'canfork-cgroup-'));
    try {
      mkdirSync(path.join(root, 'a/b'), { recursive: true });
      writeFileSync(path.join(root, 'a/b/pids.max'), 'max\n');
      writeFileSync(path.join(root, 'a/b/pids.current'), '7\n');
      writeFileSync(path.join(root, 'a/pids.max'), '100\n');
      writeFileSync(path.join(root, 'a/pids.current'), '42\n');
      const placement = locatePidsCgroup([{ hierarchyId: 0, controllers: [], path: '/a/b' }], [{ fsType: 'cgroup2', root: '/', mountPoint: root, superOptions: ['rw'] }]);
      expect(readPidsLevels(placement!)).toEqual([
        { path: '/a/b', directory: path.join(root, 'a/b'), current: 7, max: Infinity },
        { path: '/a', directory: path.join(root, 'a'), current: 42, max: 100 },
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('throws ProcfsParseError on malformed input', () => {
    expect(() => parseProcCgroup('pids:/\n', '/proc/1/cgroup')).toThrow(ProcfsParseError);
    expect(() => parseProcCgroup('8:pids:relative\n')).toThrow(ProcfsParseError);
    expect(() => parseCgroupMounts('40 31 0:37 / /x rw cgroup\n')).toThrow(ProcfsParseError);
    expect(parsePidsMax('max\n')).toBe(Infinity);
    expect(parsePidsMax('12\n')).toBe(12);
    expect(() => parsePidsMax('-1\n', 'pids.max')).toThrow(ProcfsParseError);
    expect(() => parsePidsCurrent('max\n', 'pids.current')).toThrow(ProcfsParseError);
  });
});
