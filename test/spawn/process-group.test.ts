// processGroup: the timeout (or kill()) signals the whole group, so grandchildren die with the child.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { spawn } from '../../src/index';
import { finished, statFields } from './helpers';


const script = 'sleep 30 & echo $!; sleep 30 & echo $!; wait';

function alive(pid: number, pgrp: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false;
  try {
    const [state, , group] = statFields(pid);
    return state !== 'Z' && Number(group) === pgrp;
  } catch {
    return false; // gone between the two reads
  }
}

async function sleepsAfterTimeout(processGroup: boolean): Promise<{ pids: number[]; alive: boolean[]; signal: string | null }> {
  const child = spawn('sh', ['-c', script], { processGroup, timeout: 300 });
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  // Not 'close': without a group kill the sleeps keep the stdout pipe open for 30 s.
  const signal = await new Promise<string | null>((resolve) => child.once('exit', (_code, exitSignal) => resolve(exitSignal)));
  const pids = stdout.trim().split('\n').map(Number);
  const pgrp = processGroup ? child.pid! : Number(statFields('self')[2]);
  // The grandchildren get SIGTERM at the same moment as sh; give the kernel a moment to finish them.
  for (let tries = 0; tries < 100 && pids.some((pid) => alive(pid, pgrp)); tries++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { pids, alive: pids.map((pid) => alive(pid, pgrp)), signal };
}

describe('processGroup', () => {
  it("timeout kills `sh -c 'sleep 30 & sleep 30 & wait'` and both sleeps", async () => {
    const outcome = await sleepsAfterTimeout(true);
    expect(outcome.pids).toHaveLength(2);
    expect(outcome.signal).toBe('SIGTERM');
    expect(outcome.alive).toEqual([false, false]);
  });

  it('without it, the same timeout kills only sh and the sleeps live on (cleaned up here)', async () => {
    const outcome = await sleepsAfterTimeout(false);
    try {
      expect(outcome.signal).toBe('SIGTERM');
      expect(outcome.alive).toEqual([true, true]);
    } finally {
      for (const pid of outcome.pids) {
        // Only the sleeps this test started: still in our process group, named sleep.
        if (alive(pid, Number(statFields('self')[2]))) process.kill(pid, 'SIGKILL');
      }
    }
  });

  it('kill() signals the whole group', async () => {
    const child = spawn('sh', ['-c', script], { processGroup: true });
    const lines: number[] = [];
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => lines.push(...chunk.trim().split('\n').map(Number)));
    const done = finished(child);
    while (lines.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(child.kill('SIGKILL')).toBe(true);
    const result = await done;
    expect(result.exit).toEqual([null, 'SIGKILL']);
    for (let tries = 0; tries < 100 && lines.some((pid) => alive(pid, child.pid!)); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(lines.map((pid) => alive(pid, child.pid!))).toEqual([false, false]);
  });
});
