// spawnSync's supervision in the native loop: on timeout the kill signal and then SIGCONT, so a stopped
// child acts on it (child_process.spawnSync would wait for ever); SIGKILL forceKillAfterMs later for a
// child that ignores the kill signal; SIGKILL at once, and the errno, when the kernel refuses the signal.
import { constants as osConstants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { native } from '../../src/binding';
import { runSync } from './plan';

const { signals, errno } = osConstants;

describe('spawnSync supervision', () => {
  it('a child that stopped itself still dies of the kill signal: SIGCONT follows it', () => {
    const result = runSync(['/bin/sh', '-c', 'kill -STOP $$; echo never'], {}, { timeoutMs: 100, killSignal: signals.SIGTERM });
    expect(result.status).toEqual([native.constants.WAIT_SIGNALED, signals.SIGTERM, false]);
    expect({ error: result.error, stdout: result.stdout }).toEqual({ error: -errno.ETIMEDOUT, stdout: '' });
  });

  it('a group that ignores SIGTERM gets SIGKILL forceKillAfterMs after it', () => {
    const result = runSync(
      ['/bin/sh', '-c', 'trap "" TERM; while :; do sleep 0.05; done'], { newProcessGroup: true },
      { timeoutMs: 100, killSignal: signals.SIGTERM, killGroup: true, forceKillAfterMs: 100 },
    );
    expect(result.status).toEqual([native.constants.WAIT_SIGNALED, signals.SIGKILL, false]);
    expect(result.error).toBe(-errno.ETIMEDOUT);
  });

  it('a kill signal the kernel refuses is the error, and SIGKILL goes instead (as Node\'s SyncProcessRunner)', () => {
    const result = runSync(['/bin/sleep', '30'], {}, { timeoutMs: 50, killSignal: 200 });
    expect(result.status).toEqual([native.constants.WAIT_SIGNALED, signals.SIGKILL, false]);
    expect(result.error).toBe(-errno.EINVAL);
  });

  it('without a timeout nothing is sent: the child runs to its end', () => {
    const result = runSync(['/bin/sh', '-c', 'echo done'], {}, { forceKillAfterMs: 1 });
    expect(result.status).toEqual([native.constants.WAIT_EXITED, 0, false]);
    expect({ error: result.error, stdout: result.stdout }).toEqual({ error: 0, stdout: 'done\n' });
  });
});
