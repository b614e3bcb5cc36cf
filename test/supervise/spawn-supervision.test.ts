// canfork's spawn with the supervision options, on real process trees (no cgroups here: those are host
// state, in test/system/supervise-spawn.test.ts): processGroup after the leader, forceKillAfterDelay on the
// six-process tree, and a stopped child under a timeout. Every test kills what it started, by pid.
import { spawn as nodeSpawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawn } from '../../src/index';
import { alive, killTracked, sixProcessReport, sixProcessScript, track, waitUntil, type TrackedProcess } from './tree.cjs';

function pidsFrom(text: string): number[] {
  return text.split('\n').filter((line) => /^\d+$/.test(line)).map(Number);
}

describe('spawn: processGroup after the leader exited', () => {
  it("kill('SIGKILL') returns true and the group's members die; child_process's kill returns false", async () => {
    const script = 'sleep 60 & echo $!; sleep 60 & echo $!';
    const child = spawn('sh', ['-c', script], { processGroup: true, stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    const members: TrackedProcess[] = [];
    try {
      expect(await once(child, 'exit')).toEqual([0, null]);
      await waitUntil(() => pidsFrom(text).length === 2, 5000, 5);
      members.push(...pidsFrom(text).map((pid) => track('sleep', pid)!));
      expect(members.every(alive)).toBe(true);
      expect(child.kill('SIGKILL')).toBe(true);
      expect(child.killed).toBe(true);
      expect(await waitUntil(() => !members.some(alive), 2000)).toBe(true);
      expect(child.kill('SIGKILL')).toBe(false);

      // The same tree from child_process (detached: its own group): nothing can reach it through the child.
      const nodeChild = nodeSpawn('sh', ['-c', script], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
      let nodeText = '';
      nodeChild.stdout!.setEncoding('utf8').on('data', (chunk: string) => (nodeText += chunk));
      await once(nodeChild, 'exit');
      await waitUntil(() => pidsFrom(nodeText).length === 2, 5000, 5);
      const nodeMembers = pidsFrom(nodeText).map((pid) => track('sleep', pid)!);
      members.push(...nodeMembers);
      expect(nodeChild.kill('SIGKILL')).toBe(false);
      expect(nodeMembers.every(alive)).toBe(true);
    } finally {
      killTracked(members);
    }
  });

  it('the timeout still reaches the members after the leader exited', async () => {
    const child = spawn('sh', ['-c', 'sleep 60 & echo $!'], { processGroup: true, timeout: 400, stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    const members: TrackedProcess[] = [];
    try {
      await once(child, 'exit');
      await waitUntil(() => pidsFrom(text).length === 1, 5000, 5);
      members.push(track('sleep', pidsFrom(text)[0]!)!);
      expect(members.every(alive)).toBe(true);
      expect(await waitUntil(() => !members.some(alive), 3000)).toBe(true);
    } finally {
      killTracked(members);
    }
  });
});

describe('spawn: processGroup + forceKillAfterDelay on the six-process tree', () => {
  it('leaves only the setsid and setpgid escapees (the three that left the group)', async () => {
    const report = sixProcessReport();
    try {
      const child = spawn('sh', ['-c', sixProcessScript(report.path)], { processGroup: true, timeout: 1000, forceKillAfterDelay: 500, stdio: 'ignore' });
      const exited = once(child, 'exit');
      const tracked = await report.read();
      expect(tracked).toHaveLength(6);
      const timedOutAt = Date.now() + 1000;
      expect(await exited).toEqual([null, 'SIGTERM']);
      // The TERM-ignoring ones get SIGKILL 500 ms after the timeout's SIGTERM, though the leader has gone.
      await waitUntil(() => tracked.filter(alive).length <= 3, Math.max(0, timedOutAt - Date.now()) + 3000);
      expect(tracked.filter(alive).map((entry) => entry.name).sort()).toEqual(['setpgid', 'setsid', 'setsid-term-ignoring']);
    } finally {
      report.cleanup();
    }
  });

  it('without forceKillAfterDelay the TERM-ignoring ones live on too', async () => {
    const report = sixProcessReport();
    try {
      const child = spawn('sh', ['-c', sixProcessScript(report.path)], { processGroup: true, timeout: 500, stdio: 'ignore' });
      const exited = once(child, 'exit');
      const tracked = await report.read();
      await exited;
      await waitUntil(() => tracked.filter(alive).length <= 4, 3000);
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(tracked.filter(alive).map((entry) => entry.name).sort()).toEqual(['setpgid', 'setsid', 'setsid-term-ignoring', 'term-ignoring']);
    } finally {
      report.cleanup();
    }
  });
});

describe('spawn: a stopped child and the timeout', () => {
  it("sh -c 'kill -STOP $$' with timeout 500 ends with 'exit' (SIGTERM, then SIGCONT)", async () => {
    const child = spawn('sh', ['-c', 'kill -STOP $$'], { timeout: 500, stdio: 'ignore' });
    expect(await once(child, 'exit')).toEqual([null, 'SIGTERM']);
  });

  it('kill() on a bare stopped child is child_process\'s: no SIGCONT, it stays stopped', async () => {
    const child = spawn('sh', ['-c', 'kill -STOP $$'], { stdio: 'ignore' });
    try {
      await waitUntil(() => /\) T /.test(readFileSync(`/proc/${child.pid}/stat`, 'latin1')), 2000, 5);
      expect(child.kill('SIGTERM')).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(child.exitCode).toBe(null);
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
  });
});

describe('spawn: supervision options are checked like Node options', () => {
  it('rejects bad values with ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE before anything starts', () => {
    expect(() => spawn('true', { forceKillAfterDelay: '5' as unknown as number })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => spawn('true', { forceKillAfterDelay: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => spawn('true', { forceKillAfterDelay: 1.5 })).toThrow(RangeError);
    expect(() => spawn('true', { cgroup: 1 as unknown as boolean })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => spawn('true', { killOnParentExit: 'yes' as unknown as boolean })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

// spawnSync blocks its thread: it runs in another Node process (the built dist/) while this one watches.
function runSpawnSync(args: string, guardMs: number): { done: Promise<{ output: string; ms: number }>; runner: ReturnType<typeof nodeSpawn> } {
  const code = `const t = Date.now(); const r = require(${JSON.stringify(resolve(__dirname, '../../dist/index.js'))}).spawnSync(${args});
    console.log(JSON.stringify({ status: r.status, signal: r.signal, error: r.error && r.error.code, ms: Date.now() - t }));`;
  const runner = nodeSpawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'], timeout: guardMs, killSignal: 'SIGKILL' });
  let output = '';
  runner.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return { runner, done: once(runner, 'exit').then(() => ({ output, ms: 0 })) };
}

describe('spawnSync: supervision', () => {
  it("a stopped child (sh -c 'kill -STOP $$') with timeout 500 returns within 3 s", async () => {
    const report = sixProcessReport();
    const { done } = runSpawnSync(`'sh', ['-c', 'echo "stopped $$" >> ${report.path}; kill -STOP $$'], { timeout: 500, stdio: 'ignore' }`, 10_000);
    try {
      const { output } = await done;
      const result = JSON.parse(output);
      expect(result).toMatchObject({ status: null, signal: 'SIGTERM', error: 'ETIMEDOUT' });
      expect(result.ms).toBeLessThan(3000);
    } finally {
      report.cleanup();
    }
  });

  it('processGroup + forceKillAfterDelay 500 leaves only the three that left the group', async () => {
    const report = sixProcessReport();
    try {
      const { done } = runSpawnSync(
        `'sh', ['-c', ${JSON.stringify(sixProcessScript(report.path))}], { processGroup: true, timeout: 1000, forceKillAfterDelay: 500, stdio: 'ignore' }`,
        20_000,
      );
      const tracked = await report.read();
      expect(tracked).toHaveLength(6);
      expect(JSON.parse((await done).output)).toMatchObject({ signal: 'SIGTERM', error: 'ETIMEDOUT' });
      await waitUntil(() => tracked.filter(alive).length <= 3, 2000);
      expect(tracked.filter(alive).map((entry) => entry.name).sort()).toEqual(['setpgid', 'setsid', 'setsid-term-ignoring']);
    } finally {
      report.cleanup();
    }
  });
});
