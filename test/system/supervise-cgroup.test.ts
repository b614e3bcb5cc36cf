// The supervised cgroup's life on the machine's real hierarchies: made empty, a whole tree killed whatever
// sessions and groups it made, removed. Creates cgroups under this process's v2 cgroup and in the v1
// freezer and pids hierarchies: host state, so opt-in (CANFORK_SYSTEM_TESTS=1), and every one is removed in
// finally. Processes are started by child_process here; canfork's spawn is tested in supervise-spawn.
import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SupervisedCgroup } from '../../src/supervise/cgroup';
import { locateV1Site, locateV2Site, threadCgroupPath, type CgroupSite } from '../../src/supervise/cgroup-site';
import { SIX, alive, sixProcessReport, sixProcessScript, waitUntil } from '../supervise/tree.cjs';

const enabled = process.env.CANFORK_SYSTEM_TESTS === '1';
const isRoot = process.getuid?.() === 0;
const skip = !enabled ? 'CANFORK_SYSTEM_TESTS is not 1 (creates cgroups)' : !isRoot ? 'not root: cannot create cgroups' : '';

function site(version: 'v2' | 'freezer' | 'pids'): CgroupSite | string {
  return version === 'v2' ? locateV2Site() : locateV1Site(version);
}

function cgroupOf(pid: number, hierarchy: 'v2' | 'freezer' | 'pids'): string | undefined {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  return hierarchy === 'v2' ? lines.find((line) => line.startsWith('0::'))?.slice(3) : lines.find((line) => line.split(':')[1]?.split(',').includes(hierarchy))?.split(':')[2];
}

/** Starts the six-process tree in `cgroup`: v1 by stepping this thread in for the fork, v2 by moving a shell that waits. */
async function startTree(cgroup: SupervisedCgroup, reportPath: string): Promise<ChildProcess> {
  if (cgroup.version === 1) {
    cgroup.enterThread();
    try {
      return nodeSpawn('sh', ['-c', sixProcessScript(reportPath)], { stdio: 'ignore' });
    } finally {
      cgroup.leaveThread();
    }
  }
  const child = nodeSpawn('sh', ['-c', `read go; ${sixProcessScript(reportPath)}`], { stdio: ['pipe', 'ignore', 'ignore'] });
  await once(child, 'spawn');
  writeFileSync(`${cgroup.directory}/cgroup.procs`, String(child.pid));
  child.stdin!.end('go\n');
  return child;
}

describe.skipIf(skip !== '')(`supervised cgroups on this machine${skip ? ` (skipped: ${skip})` : ''}`, () => {
  for (const hierarchy of ['v2', 'freezer', 'pids'] as const) {
    it(`${hierarchy}: all six escapees are members, SIGTERM reaches each, killAll ends all, the cgroup is removed`, async () => {
      const where = site(hierarchy);
      if (typeof where === 'string') {
        console.log(`skipped ${hierarchy}: ${where}`);
        return;
      }
      const before = threadCgroupPath('freezer');
      const cgroup = SupervisedCgroup.create(where);
      const report = sixProcessReport();
      let child: ChildProcess | undefined;
      try {
        expect(readdirSync(where.parent)).toContain(cgroup.directory.slice(where.parent.length + 1));
        child = await startTree(cgroup, report.path);
        expect(threadCgroupPath('freezer')).toBe(before);
        const exited = once(child, 'exit');
        const tracked = await report.read();
        expect(tracked.map((entry) => entry.name).sort()).toEqual([...SIX].sort());
        const path = cgroup.directory.slice(cgroup.directory.indexOf('/canfork-'));
        for (const entry of tracked) expect(cgroupOf(entry.pid, hierarchy), entry.name).toMatch(new RegExp(`${path}$`));
        // SIGTERM: the ones that do not ignore it end (sh included); SIGCONT follows for the stopped.
        expect(cgroup.signalAll(15)).toBeGreaterThanOrEqual(7);
        await waitUntil(() => tracked.filter(alive).length <= 2, 2000);
        expect(tracked.filter(alive).map((entry) => entry.name).sort()).toEqual(['setsid-term-ignoring', 'term-ignoring']);
        cgroup.killAll();
        expect(await waitUntil(() => !tracked.some(alive) && cgroup.isEmpty(), 1000)).toBe(true);
        await exited;
        expect(await cgroup.destroy()).toBe(true);
        expect(existsSync(cgroup.directory)).toBe(false);
      } finally {
        report.cleanup();
        if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        cgroup.destroySync();
      }
    });
  }

  it('v2: a stopped tree is killed too; killAll on an empty cgroup is a no-op; remove is idempotent', async () => {
    const where = locateV2Site();
    if (typeof where === 'string') return void console.log(`skipped: ${where}`);
    const cgroup = SupervisedCgroup.create(where);
    const child = nodeSpawn('sh', ['-c', 'read go; sleep 60 & kill -STOP $!; kill -STOP $$'], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      await once(child, 'spawn');
      writeFileSync(`${cgroup.directory}/cgroup.procs`, String(child.pid));
      const exited = once(child, 'exit');
      child.stdin!.end('go\n');
      await waitUntil(() => cgroup.members().length === 2, 2000, 5);
      expect(cgroup.killAll()).toBe(2);
      expect((await exited)[1]).toBe('SIGKILL');
      expect(await waitUntil(() => cgroup.isEmpty(), 1000)).toBe(true);
      expect(cgroup.killAll()).toBe(0);
      expect(cgroup.destroySync()).toBe(true);
      expect(cgroup.tryRemove()).toBe(true);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      cgroup.destroySync();
    }
  });

  it('refuses with a Node-style system error where the caller may not create a cgroup', () => {
    const where = locateV2Site();
    if (typeof where === 'string') return void console.log(`skipped: ${where}`);
    // A cgroup directory is not writable through a missing parent: the same error path as EACCES/EROFS.
    expect(() => SupervisedCgroup.create({ version: 2, parent: `${where.parent}/canfork-no-such-parent-${process.pid}` }))
      .toThrow(expect.objectContaining({ code: 'ENOENT', errno: -2, syscall: 'mkdir', message: expect.stringContaining('cgroup: true needs') }));
  });
});
