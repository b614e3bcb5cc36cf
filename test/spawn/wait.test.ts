// waitpid on children started by the native spawn without an exit watcher, so the test owns the reaping;
// and a spawned child the caller reaps itself, whose pid the next child takes over.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { native, packStrings } from '../../src/binding';
import { waitpid } from '../../src/index';
import { expectCodedError, expectSystemError } from '../helpers/errors';
import { allOf, requireRoot, requireTool } from '../helpers/requirements';

const distEntry = path.resolve(__dirname, '../../dist/index.js');
const pidNamespaceGate = allOf(requireRoot('sets ns_last_pid in a pid namespace of its own'), requireTool('unshare', 'util-linux'));

function unwatchedChild(script: string): number {
  const result = native.spawn({
    candidates: packStrings(['/bin/sh']), argv: packStrings(['sh', '-c', script]), envp: packStrings([]), stdio: [-2, -2, -2],
    uid: -1, gid: -1, newSession: false, newProcessGroup: false, rlimits: [],
  }, new Int32Array(4));
  if (result < 0) throw new Error(`spawn failed: ${result}`);
  // Its pidfd stays the addon's (src/binding.ts): never watched, it is closed when this thread's
  // environment ends. Closing it here would leave a stale number for that teardown to close.
  return result;
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

describe.skipIf(pidNamespaceGate.skip)('a spawned child the caller reaped with waitpid, its pid taken by the next child', () => {
  // In a pid namespace of its own (nothing of the host changes), ns_last_pid makes the next child get the
  // reaped child's pid. The first child's exit watch then finds its pidfd readable while that pid is
  // already the second child's: reaping by pid took the second child's status (first 'exit' 7, second
  // null) and spun the loop until then; reaping through the pidfd leaves it to its own watch.
  it('each child\'s exit reports its own status: the reused pid\'s is not taken', () => {
    const script = `
      const { spawn, waitpid } = require(${JSON.stringify(distEntry)});
      const { writeFileSync } = require('node:fs');
      const first = spawn('sh', ['-c', 'exit 3']);
      const seen = { firstPid: first.pid, reapedByCaller: waitpid(first.pid) };
      writeFileSync('/proc/sys/kernel/ns_last_pid', String(first.pid - 1));
      const second = spawn('sh', ['-c', 'sleep 0.3; exit 7']);
      seen.secondPid = second.pid;
      first.on('exit', (code, signal) => { seen.first = [code, signal]; });
      second.on('exit', (code, signal) => { seen.second = [code, signal]; });
      process.on('exit', () => console.log(JSON.stringify(seen)));`;
    const run = spawnSync('unshare', ['--pid', '--fork', process.execPath, '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status, run.stderr).toBe(0);
    const seen = JSON.parse(run.stdout);
    expect(seen.secondPid).toBe(seen.firstPid); // the reuse happened, or this test shows nothing
    expect(seen.reapedByCaller).toEqual({ pid: seen.firstPid, kind: 'exited', exitCode: 3 });
    // The first child's status went to the caller: its 'exit' has code and signal null (README, waitpid).
    expect(seen.first).toEqual([null, null]);
    expect(seen.second).toEqual([7, null]);
  });
});
