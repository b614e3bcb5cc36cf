// canFork() keeps its parse of /proc/self/mountinfo while the kept descriptor's poll says the mount table has not
// changed (src/snapshot.ts): here the table does change, in a private mount namespace of a child (unshare -m; the
// machine's mounts are not touched), and the answer must follow it at once, as a fresh process's does.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allOf, requireRoot, requireTool, skipBecause } from '../helpers/requirements';

const distEntry = require.resolve('../../dist/index.js');
const tools = allOf(requireTool('unshare', 'util-linux'), requireRoot('unmounts a cgroup hierarchy in a mount namespace of its own'));
const probe = tools.skip ? null : spawnSync('unshare', ['-m', '--propagation', 'private', 'true'], { encoding: 'utf8' });
const gate = probe === null || probe.status === 0 ? tools : skipBecause(`cannot make a mount namespace: ${probe.stderr.trim()}`);

interface Placement { version: 1 | 2; path: string }

describe.skipIf(gate.skip)('canFork() after a mount change', () => {
  it('names the pids hierarchy that is mounted now, as a fresh process does, and the poll says when', () => {
    const run = spawnSync('unshare', ['-m', '--propagation', 'private', process.execPath, path.join(__dirname, 'mount-changes.cjs')], {
      encoding: 'utf8', env: { ...process.env, CANFORK_DIST_ENTRY: distEntry }, timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as {
      before: Placement | null; again: Placement | null; unmounted: string[]; after: Placement | null; fresh: Placement | null;
      polls: Record<string, number>;
    };
    if (result.before === null) {
      // Nothing to unmount: no pids hierarchy is mounted here, so no answer could tell a stale parse.
      expect(result.fresh).toBeNull();
      return;
    }
    expect(result.unmounted.length).toBeGreaterThan(0);
    expect(result.again).toEqual(result.before);
    // The unmount changed what a fresh reader finds (v1 pids gone: the v2 hierarchy, or none)...
    expect(result.fresh).not.toEqual(result.before);
    // ...and this process's answer follows it.
    expect(result.after).toEqual(result.fresh);
    expect(result.polls).toEqual({ afterOpen: 0, afterUnmount: 1, thenAgain: 0 });
  });
});
