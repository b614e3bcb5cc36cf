// The Supervisor over real processes started by child_process (until canfork's own spawn wires it in):
// a process group that outlives its leader, SIGCONT after the timeout's signal, and the force kill.
import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { Supervisor, TrackedGroup } from '../../src/supervise/index';
import { alive, killTracked, track, waitUntil, type TrackedProcess } from './tree.cjs';

const { SIGTERM, SIGKILL } = constants.signals;

function signalChild(child: ChildProcess): (signal: number) => string {
  return (signal) => {
    if (child.exitCode !== null || child.signalCode !== null) return 'gone';
    try {
      process.kill(child.pid!, signal);
      return 'ok';
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH' ? 'gone' : String((error as NodeJS.ErrnoException).code);
    }
  };
}

/** A shell in its own group (setsid: pgid = sid = its pid) that prints the pids of its children. */
async function groupLeader(script: string, count: number): Promise<{ child: ChildProcess; members: TrackedProcess[]; exited: Promise<unknown[]> }> {
  const child = nodeSpawn('sh', ['-c', script], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  await waitUntil(() => text.split('\n').filter((line) => /^\d+$/.test(line)).length === count, 10_000, 5);
  const members = text.split('\n').filter((line) => /^\d+$/.test(line)).map((line) => track('sleep', Number(line))!);
  return { child, members, exited };
}

function supervise(child: ChildProcess, group: TrackedGroup | null, forceKillAfterMs = -1): Supervisor {
  return new Supervisor({ pid: child.pid!, signalChild: signalChild(child), group, cgroup: null, forceKillAfterMs, killSignal: SIGTERM });
}

describe('Supervisor: a process group after its leader exited', () => {
  it("kill('SIGKILL') returns ok and the members die; then 'gone'", async () => {
    const { child, members, exited } = await groupLeader('sleep 60 & echo $!; sleep 60 & echo $!', 2);
    try {
      await exited;
      const supervisor = supervise(child, new TrackedGroup(child.pid!, child.pid!));
      supervisor.childExited();
      expect(members.every(alive)).toBe(true);
      expect(supervisor.kill(SIGKILL)).toBe('ok');
      expect(await waitUntil(() => !members.some(alive), 2000)).toBe(true);
      expect(supervisor.kill(SIGKILL)).toBe('gone');
    } finally {
      killTracked(members);
    }
  });

  it('the timeout still reaches the members after the leader exited, and SIGCONT wakes a stopped one', async () => {
    const { child, members, exited } = await groupLeader('sleep 60 & echo $!; kill -STOP $!; sleep 60 & echo $!', 2);
    try {
      const supervisor = supervise(child, new TrackedGroup(child.pid!, child.pid!));
      supervisor.startTimeout(300);
      await exited;
      supervisor.childExited();
      expect(members.every(alive)).toBe(true);
      expect(await waitUntil(() => !members.some(alive), 3000)).toBe(true);
    } finally {
      killTracked(members);
    }
  });

  it('a leaderless group that emptied is never signalled again', async () => {
    const { child, members, exited } = await groupLeader('sleep 0.1 & echo $!', 1);
    await exited;
    const group = new TrackedGroup(child.pid!, child.pid!);
    group.leaderReaped();
    await waitUntil(() => !members.some(alive), 2000);
    expect(group.liveMembers()).toEqual([]);
    expect(group.signal(SIGKILL)).toBe('gone');
    expect(group.hasMembers()).toBe(false);
  });
});

describe('Supervisor: forceKillAfterDelay', () => {
  it('SIGKILLs a group that ignores SIGTERM, after the delay', async () => {
    const { child, members, exited } = await groupLeader("trap '' TERM; sleep 60 & echo $!; sleep 60 & echo $!; wait", 2);
    try {
      const supervisor = supervise(child, new TrackedGroup(child.pid!, child.pid!), 300);
      expect(supervisor.kill(SIGTERM)).toBe('ok');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(members.every(alive)).toBe(true);
      const [, signal] = await exited;
      supervisor.childExited();
      expect(signal).toBe('SIGKILL');
      expect(await waitUntil(() => !members.some(alive), 2000)).toBe(true);
    } finally {
      killTracked(members);
    }
  });

  it('follows only the kill signal: SIGUSR1 starts no force kill', async () => {
    const { child, members, exited } = await groupLeader("trap '' USR1 TERM; sleep 60 & echo $!; wait", 1);
    const supervisor = supervise(child, new TrackedGroup(child.pid!, child.pid!), 50);
    try {
      expect(supervisor.kill(constants.signals.SIGUSR1)).toBe('ok');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(child.exitCode === null && child.signalCode === null).toBe(true);
    } finally {
      supervisor.kill(SIGKILL);
      await exited;
      supervisor.childExited();
      killTracked(members);
    }
  });
});

describe('Supervisor: a stopped child and the timeout', () => {
  it("sh -c 'kill -STOP $$' with a 300 ms timeout ends with SIGTERM (SIGCONT follows the signal)", async () => {
    const child = nodeSpawn('sh', ['-c', 'kill -STOP $$'], { stdio: 'ignore' });
    const exited = once(child, 'exit');
    const supervisor = supervise(child, null);
    supervisor.startTimeout(300);
    expect(await exited).toEqual([null, 'SIGTERM']);
    supervisor.childExited();
  });

  it('a kill() of the bare child sends no SIGCONT, as child_process', async () => {
    const child = nodeSpawn('sh', ['-c', 'kill -STOP $$; exit 3'], { stdio: 'ignore' });
    const supervisor = supervise(child, null);
    try {
      await waitUntil(() => track('sh', child.pid!) !== null && /\) T /.test(readFileSync(`/proc/${child.pid}/stat`, 'latin1')), 2000, 5);
      expect(supervisor.kill(SIGTERM)).toBe('ok');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(child.exitCode).toBe(null);
      expect(child.signalCode).toBe(null);
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
      supervisor.childExited();
    }
  });
});
