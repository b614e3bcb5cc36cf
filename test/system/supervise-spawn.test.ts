// canfork's spawn and spawnSync with cgroup: true on this machine's real hierarchies: the issue's
// six-process tree (every way to leave a process group) ends within 1 s of the timeout, nothing is left
// after 1 000 spawns, and a caller that may not create cgroups gets an error at spawn time. Creates
// cgroups: host state, opt-in (CANFORK_SYSTEM_TESTS=1); each cgroup is removed, and every process killed by
// pid, in finally.
import { spawn as nodeSpawn, spawnSync as nodeSpawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exec, execFileSync, spawn } from '../../src/index';
import { liveCgroupCount, setCgroupV2Support } from '../../src/supervise/index';
import { locateV1Site, locateV2Site } from '../../src/supervise/cgroup-site';
import { native } from '../../src/binding';
import { openFds, zombieChildren } from '../spawn/helpers';
import { alive, sixProcessReport, sixProcessScript, waitUntil } from '../supervise/tree.cjs';

const enabled = process.env.CANFORK_SYSTEM_TESTS === '1';
const isRoot = process.getuid?.() === 0;
const skip = !enabled ? 'CANFORK_SYSTEM_TESTS is not 1 (creates cgroups)' : !isRoot ? 'not root: cannot create cgroups' : '';
const dist = resolve(__dirname, '../../dist/index.js');
const v2Native = 'constants' in native;

// Which hierarchies this machine and build can use, each run on its own.
const hierarchies: Array<{ name: string; v2: boolean; parent: string | null }> = [
  { name: 'v2 (CLONE_INTO_CGROUP)', v2: true, parent: v2Native ? (typeof locateV2Site() === 'string' ? null : (locateV2Site() as { parent: string }).parent) : null },
  { name: 'v1 (the spawning thread steps in)', v2: false, parent: (() => {
    const freezer = locateV1Site('freezer');
    if (typeof freezer !== 'string') return freezer.parent;
    const pids = locateV1Site('pids');
    return typeof pids === 'string' ? null : pids.parent;
  })() },
];

function readState(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return '';
  }
}

function ourCgroups(parent: string): string[] {
  return readdirSync(parent).filter((name) => name.startsWith(`canfork-${process.pid}-`));
}

describe.skipIf(skip !== '')(`spawn with cgroup: true${skip ? ` (skipped: ${skip})` : ''}`, () => {
  for (const hierarchy of hierarchies) {
    describe(hierarchy.name, () => {
      const run = hierarchy.parent === null ? it.skip : it;
      const parent = hierarchy.parent ?? '';

      run('spawn: the six-process tree, timeout 1000: nothing left within 1 s of the timeout; the cgroup is removed', async () => {
        setCgroupV2Support(hierarchy.v2);
        const report = sixProcessReport();
        try {
          const started = Date.now();
          const child = spawn('sh', ['-c', sixProcessScript(report.path)], { cgroup: true, timeout: 1000, stdio: 'ignore' });
          const exited = once(child, 'exit');
          const tracked = await report.read();
          expect(tracked).toHaveLength(6);
          expect(ourCgroups(parent)).toHaveLength(1);
          expect(await exited).toEqual([null, 'SIGTERM']);
          const deadline = started + 1000 + 1000 - Date.now();
          expect(await waitUntil(() => !tracked.some(alive), Math.max(deadline, 0))).toBe(true);
          expect(await waitUntil(() => ourCgroups(parent).length === 0, 2000)).toBe(true);
        } finally {
          report.cleanup();
          setCgroupV2Support(v2Native);
        }
      });

      run('spawnSync: the same tree, timeout 1000: it returns, and nothing is left within 1 s of the timeout', async () => {
        const report = sixProcessReport();
        // In another process, so that this one can watch the tree while spawnSync blocks.
        const code = `
          const { spawnSync } = require(${JSON.stringify(dist)});
          require(${JSON.stringify(resolve(__dirname, '../../dist/supervise/index.js'))}).setCgroupV2Support(${hierarchy.v2});
          const r = spawnSync('sh', ['-c', ${JSON.stringify(sixProcessScript(report.path))}], { cgroup: true, timeout: 1000, stdio: 'ignore' });
          console.log(JSON.stringify({ signal: r.signal, error: r.error && r.error.code }));`;
        const runner = nodeSpawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
        let output = '';
        runner.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
        try {
          const started = Date.now();
          const tracked = await report.read();
          expect(tracked).toHaveLength(6);
          expect(await once(runner, 'exit')).toEqual([0, null]);
          expect(JSON.parse(output)).toEqual({ signal: 'SIGTERM', error: 'ETIMEDOUT' });
          expect(await waitUntil(() => !tracked.some(alive), Math.max(started + 2000 - Date.now(), 0))).toBe(true);
          expect(readdirSync(parent).filter((name) => name.startsWith(`canfork-${runner.pid}-`))).toEqual([]);
        } finally {
          report.cleanup();
          if (runner.exitCode === null) runner.kill('SIGKILL');
        }
      });

      run("spawnSync with killSignal 'SIGKILL': the timeout kills the whole cgroup at once (v2: cgroup.kill from the native loop)", async () => {
        const report = sixProcessReport();
        const code = `
          const { spawnSync } = require(${JSON.stringify(dist)});
          require(${JSON.stringify(resolve(__dirname, '../../dist/supervise/index.js'))}).setCgroupV2Support(${hierarchy.v2});
          const r = spawnSync('sh', ['-c', ${JSON.stringify(sixProcessScript(report.path))}], { cgroup: true, timeout: 1000, killSignal: 'SIGKILL', stdio: 'ignore' });
          console.log(JSON.stringify({ signal: r.signal, error: r.error && r.error.code }));`;
        const runner = nodeSpawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
        let output = '';
        runner.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
        try {
          const tracked = await report.read();
          expect(await once(runner, 'exit')).toEqual([0, null]);
          expect(JSON.parse(output)).toEqual({ signal: 'SIGKILL', error: 'ETIMEDOUT' });
          expect(await waitUntil(() => !tracked.some(alive), 1000)).toBe(true);
        } finally {
          report.cleanup();
          if (runner.exitCode === null) runner.kill('SIGKILL');
        }
      });

      run('1 000 spawns leave no cgroup, zombie or fd; the cost per spawn is printed', async () => {
        setCgroupV2Support(hierarchy.v2);
        try {
          const fdsBefore = openFds().length;
          const time = async (cgroup: boolean, count: number): Promise<number> => {
            const started = process.hrtime.bigint();
            for (let i = 0; i < count; i++) {
              const child = spawn('true', [], { cgroup, stdio: 'ignore' });
              await once(child, 'exit');
            }
            return Number(process.hrtime.bigint() - started) / 1e6 / count;
          };
          const plain = await time(false, 200);
          const withCgroup = await time(true, 1000);
          expect(await waitUntil(() => ourCgroups(parent).length === 0 && liveCgroupCount() === 0, 5000)).toBe(true);
          expect(zombieChildren()).toEqual([]);
          expect(await waitUntil(() => openFds().length <= fdsBefore, 2000)).toBe(true);
          console.log(`${hierarchy.name}: spawn to exit of /bin/true, ${plain.toFixed(3)} ms plain (200), ${withCgroup.toFixed(3)} ms with cgroup: true (1000, removal overlapped)`);
        } finally {
          setCgroupV2Support(v2Native);
        }
      });
    });
  }

  it('exec and execFileSync take cgroup: true too: a background sleep dies with its shell at the timeout', async () => {
    const report = sixProcessReport();
    try {
      const script = `sleep 60 & echo "background $!" >> ${report.path}; sleep 60`;
      const error = await new Promise<Error | null>((resolve) => exec(script, { cgroup: true, timeout: 500 }, (failure) => resolve(failure)));
      expect(error).toMatchObject({ killed: true, signal: 'SIGTERM' });
      expect(() => execFileSync('sh', ['-c', script.replace('background', 'sync-background')], { cgroup: true, timeout: 500, stdio: 'ignore' }))
        .toThrow(expect.objectContaining({ code: 'ETIMEDOUT' }));
      const pids = readFileSync(report.path, 'utf8').trim().split('\n').map((line: string) => Number(line.split(' ')[1]));
      expect(pids).toHaveLength(2);
      // Both were killed with their cgroup before exec's callback and execFileSync's return: no /proc entry, or a zombie.
      for (const pid of pids) expect(await waitUntil(() => !/^[^Z]/.test(readState(pid)), 1000)).toBe(true);
    } finally {
      report.cleanup();
    }
  });

  it('a caller that may not create cgroups gets a system error at spawn time, and nothing runs', () => {
    // As nobody, who may not write under this process's cgroup.
    const code = `
      const { spawn } = require(${JSON.stringify(dist)});
      try { spawn('sleep', ['60'], { cgroup: true, stdio: 'ignore' }); console.log('spawned'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, syscall: e.syscall, errno: e.errno, message: e.message })); }`;
    const result = nodeSpawnSync(process.execPath, ['-e', code], { uid: 65534, gid: 65534, encoding: 'utf8' });
    if (/EACCES|Cannot find module/.test(result.stderr) && result.stdout === '') {
      console.log(`skipped: nobody cannot read ${dist} (a checkout other users cannot enter)`);
      return;
    }
    expect(result.stderr).toBe('');
    const error = JSON.parse(result.stdout);
    expect(['EACCES', 'EPERM', 'EROFS']).toContain(error.code);
    expect(error.syscall).toBe('mkdir');
    expect(error.message).toContain('cgroup: true needs a cgroup the caller may create');
  });
});
