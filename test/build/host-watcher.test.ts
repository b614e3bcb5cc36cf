// The watcher the test run keeps on host state (test/helpers/host-watcher.ts), pointed at files and a
// directory tree of its own: it sees a write even when the value is put back at once, a change of value,
// and a directory created and removed, and stays quiet when nothing happens.
import { mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { watchHostState } from '../helpers/host-watcher';

let work = '';
afterEach(() => rmSync(work, { recursive: true, force: true }));

function fixture(): { sysctl: string; tree: string } {
  work = mkdtempSync(path.join(tmpdir(), 'canfork-watcher-'));
  const sysctl = path.join(work, 'pid_max');
  writeFileSync(sysctl, '4194304\n');
  const tree = path.join(work, 'cgroup');
  mkdirSync(path.join(tree, 'pids', 'system'), { recursive: true });
  return { sysctl, tree };
}

describe('host-state watcher', () => {
  it('reports nothing when nothing changes', async () => {
    const { sysctl, tree } = fixture();
    const watcher = watchHostState({ sysctls: [sysctl], cgroupRoot: tree, pollMs: 5 });
    await sleep(50);
    expect(watcher.stop()).toEqual([]);
  });

  it('sees a value lowered and restored within the same moment (the write itself)', async () => {
    const { sysctl, tree } = fixture();
    const watcher = watchHostState({ sysctls: [sysctl], cgroupRoot: tree, pollMs: 1000 });
    writeFileSync(sysctl, '301\n');
    writeFileSync(sysctl, '4194304\n');
    await sleep(50);
    const changes = watcher.stop();
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.join('\n')).toContain(`${sysctl} was written`);
  });

  it('sees a value left changed', async () => {
    const { sysctl, tree } = fixture();
    const watcher = watchHostState({ sysctls: [sysctl], cgroupRoot: tree, pollMs: 5 });
    writeFileSync(sysctl, '301\n');
    await sleep(50);
    expect(watcher.stop().join('\n')).toContain(`${sysctl}: 4194304 -> 301`);
  });

  it('sees a directory made and removed anywhere in the tree, and one left behind', async () => {
    const { sysctl, tree } = fixture();
    const watcher = watchHostState({ sysctls: [sysctl], cgroupRoot: tree, pollMs: 5 });
    const brief = path.join(tree, 'pids', 'system', 'canfork-test-1');
    mkdirSync(brief);
    rmdirSync(brief);
    const left = path.join(tree, 'pids', 'left-behind');
    mkdirSync(left);
    await sleep(50);
    const changes = watcher.stop().join('\n');
    expect(changes).toContain(`cgroup tree: ${brief} created or removed`);
    expect(changes).toContain(`cgroup tree: ${left} is new`);
  });

  it('ignores the subtrees CANFORK_WATCH_IGNORE names (a process manager\'s own cgroups)', async () => {
    const { sysctl, tree } = fixture();
    const saved = process.env.CANFORK_WATCH_IGNORE;
    process.env.CANFORK_WATCH_IGNORE = path.join(tree, 'pids', 'system');
    try {
      const watcher = watchHostState({ sysctls: [sysctl], cgroupRoot: tree, pollMs: 5 });
      mkdirSync(path.join(tree, 'pids', 'system', 'per-command'));
      await sleep(50);
      expect(watcher.stop()).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.CANFORK_WATCH_IGNORE;
      else process.env.CANFORK_WATCH_IGNORE = saved;
    }
  });
});
