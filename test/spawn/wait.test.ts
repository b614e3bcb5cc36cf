// waitpid on children started by the native spawn without an exit watcher, so the test owns the reaping.
import { describe, expect, it } from 'vitest';
import { native } from '../../src/binding';
import { waitpid } from '../../src/index';
import { expectCodedError, expectSystemError } from '../helpers/errors';

function unwatchedChild(script: string): number {
  const result = native.spawn({
    candidates: ['/bin/sh'], argv: ['sh', '-c', script], envp: [], stdio: [-2, -2, -2],
    uid: -1, gid: -1, newSession: false, newProcessGroup: false, rlimits: [],
  });
  if (typeof result === 'number') throw new Error(`spawn failed: ${result}`);
  // Its pidfd stays the addon's (src/binding.ts): never watched, it is closed when this thread's
  // environment ends. Closing it here would leave a stale number for that teardown to close.
  return result.pid;
}

describe('waitpid', () => {
  it('exited', () => {
    const pid = unwatchedChild('exit 7');
    expect(waitpid(pid)).toEqual({ pid, kind: 'exited', exitCode: 7 });
  });

  it('signaled, with coreDumped', () => {
    const pid = unwatchedChild('kill -TERM $$');
    expect(waitpid(pid)).toEqual({ pid, kind: 'signaled', signal: 'SIGTERM', coreDumped: false });
  });

  it('null with nohang while running; stopped; continued; then signaled', () => {
    const pid = unwatchedChild('sleep 30');
    expect(waitpid(pid, { nohang: true })).toBeNull();
    process.kill(pid, 'SIGSTOP');
    expect(waitpid(pid)).toEqual({ pid, kind: 'stopped', signal: 'SIGSTOP' });
    process.kill(pid, 'SIGCONT');
    expect(waitpid(pid)).toEqual({ pid, kind: 'continued' });
    process.kill(pid, 'SIGKILL');
    expect(waitpid(pid)).toEqual({ pid, kind: 'signaled', signal: 'SIGKILL', coreDumped: false });
  });

  it('pid <= 0 is a RangeError: it would wait for child_process children too', () => {
    expectCodedError(() => waitpid(0), RangeError, 'ERR_OUT_OF_RANGE');
    expectCodedError(() => waitpid(-1), RangeError, 'ERR_OUT_OF_RANGE');
    expectCodedError(() => waitpid(-process.pid), RangeError, 'ERR_OUT_OF_RANGE');
    expectCodedError(() => waitpid(1.5), RangeError, 'ERR_OUT_OF_RANGE');
    expectCodedError(() => waitpid('1' as never), TypeError, 'ERR_INVALID_ARG_TYPE');
  });

  it('a process that is not our child: ECHILD', () => {
    expectSystemError(() => waitpid(1), 'ECHILD', 'waitpid');
    expectSystemError(() => waitpid(process.pid, { nohang: true }), 'ECHILD', 'waitpid');
  });
});
