// killTree() on real trees that canfork did not start (child_process here): every descendant found through
// /proc/PID/task/TID/children is signalled, deepest first, the root last; stopped ones act on it.
import { spawn as nodeSpawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { killTree } from '../../src/index';
import { alive, killTracked, sixProcessReport, sixProcessScript, track, waitUntil, type TrackedProcess } from './tree.cjs';

function depthOf(pid: number, root: number): number {
  let depth = 0;
  for (let current = pid; current !== root; depth++) {
    const text = readFileSync(`/proc/${current}/stat`, 'latin1');
    current = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
    if (current <= 1) return -1;
  }
  return depth;
}

async function startTree(script: string): Promise<{ root: ReturnType<typeof nodeSpawn>; pids: TrackedProcess[] }> {
  const root = nodeSpawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  root.stdout!.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  await waitUntil(() => text.includes('ready'), 10_000, 5);
  const pids = text.split('\n').filter((line) => /^\d+$/.test(line)).map((line) => track('sleep', Number(line))!);
  return { root, pids };
}

describe('killTree', () => {
  it('signals every descendant, deepest first, the root last, and all of them end', async () => {
    // sh → (subshell → two sleeps) and a sleep: depths 1 and 2 under the root.
    // The root then execs a sleep that never reaps: it cannot end on its own when its children die, so the
    // signal that ends it is killTree's.
    const { root, pids } = await startTree('( sleep 60 & echo $!; sleep 60 & echo $!; wait ) & sleep 60 & echo $!; sleep 0.05; echo ready; exec sleep 60');
    try {
      expect(pids).toHaveLength(3);
      const depths = new Map(pids.map((entry) => [entry.pid, depthOf(entry.pid, root.pid!)]));
      expect([...depths.values()].sort()).toEqual([1, 2, 2]);
      const exited = once(root, 'exit');
      const result = killTree(root.pid!, 'SIGTERM');
      expect(result.denied).toEqual([]);
      for (const entry of pids) expect(result.signalled).toContain(entry.pid);
      expect(result.signalled.at(-1)).toBe(root.pid);
      const [, signal] = await exited;
      expect(signal).toBe('SIGTERM');
      const order = result.signalled.filter((pid) => pid !== root.pid).map((pid) => depths.get(pid) ?? 1);
      expect(order).toEqual([...order].sort((a, b) => b - a));
      expect(await waitUntil(() => pids.every((entry) => !alive(entry)), 2000)).toBe(true);
    } finally {
      killTracked(pids);
    }
  });

  it('a stopped descendant gets SIGCONT after SIGTERM and ends; one that ignores SIGTERM survives it', async () => {
    const { root, pids } = await startTree(
      "sleep 60 & echo $!; kill -STOP $!; sh -c 'trap \"\" TERM; exec sleep 60' & echo $!; sleep 0.05; echo ready; wait",
    );
    const [stopped, ignoring] = pids as [TrackedProcess, TrackedProcess];
    try {
      await waitUntil(() => readFileSync(`/proc/${stopped.pid}/stat`, 'latin1').includes(') T '), 2000, 5);
      killTree(root.pid!);
      expect(await waitUntil(() => !alive(stopped), 2000)).toBe(true);
      expect(alive(ignoring)).toBe(true);
      killTree(ignoring.pid, 'SIGKILL');
      expect(await waitUntil(() => !alive(ignoring), 2000)).toBe(true);
    } finally {
      killTracked(pids);
      if (root.exitCode === null && root.signalCode === null) root.kill('SIGKILL');
    }
  });

  it('reaches setsid and setpgid escapees that are still descendants, but not a double-forked orphan (documented)', async () => {
    const report = sixProcessReport();
    const root = nodeSpawn('sh', ['-c', sixProcessScript(report.path)], { stdio: 'ignore' });
    try {
      const tracked = await report.read();
      const byName = new Map(tracked.map((entry) => [entry.name, entry]));
      killTree(root.pid!, 'SIGKILL');
      await waitUntil(() => tracked.filter(alive).length <= 1, 2000);
      // Its parent shell exited at once: the sleep was reparented away from the tree before the walk.
      expect(tracked.filter(alive).map((entry) => entry.name)).toEqual(['double-forked']);
      expect(alive(byName.get('double-forked')!)).toBe(true);
    } finally {
      report.cleanup();
    }
  });

  it('rejects what is not a live process, with Node-style errors', () => {
    expect(() => killTree(0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => killTree(-1)).toThrow(RangeError);
    expect(() => killTree('1' as unknown as number)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => killTree(process.pid, 'SIGNOPE' as NodeJS.Signals)).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_SIGNAL' }));
    // pid_max is 4194304 at most; a pid above the machine's pid_max never exists.
    const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    expect(() => killTree(Math.min(pidMax, 4194304))).toThrow(expect.objectContaining({ code: 'ESRCH', errno: -3, syscall: 'kill' }));
  });
});
