import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { getrlimit, prlimit, RLIMIT_RESOURCES } from '../../src/index';
import { readLimits } from '../../src/procfs/limits';
import { expectCodedError, expectSystemError } from '../helpers/errors';

async function withSleepingChild(body: (pid: number) => void): Promise<void> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  await once(child, 'spawn');
  try {
    body(child.pid!);
  } finally {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
}

describe('getrlimit', () => {
  it('equals /proc/self/limits for all sixteen resources', () => {
    const fromProc = readLimits();
    expect(RLIMIT_RESOURCES).toHaveLength(16);
    for (const resource of RLIMIT_RESOURCES) {
      expect(getrlimit(resource), resource).toEqual(fromProc[resource]);
    }
  });

  it('reports unlimited as Infinity', () => {
    expect(RLIMIT_RESOURCES.some((resource) => getrlimit(resource).hard === Infinity)).toBe(true);
  });

  it('rejects unknown resources with ERR_INVALID_ARG_VALUE', () => {
    for (const bad of ['NOFILE', 'files', '', 7, undefined, 'toString', '__proto__']) {
      expectCodedError(() => getrlimit(bad as never), TypeError, 'ERR_INVALID_ARG_VALUE');
    }
  });
});

describe('prlimit', () => {
  it('reads and sets a child process limit, visible in its /proc/PID/limits, returning the previous one', async () => {
    await withSleepingChild((pid) => {
      const before = readLimits(pid).nofile;
      expect(prlimit(pid, 'nofile')).toEqual(before);
      expect(prlimit(pid, 'nofile', { soft: 123, hard: 456 })).toEqual(before);
      expect(readLimits(pid).nofile).toEqual({ soft: 123, hard: 456 });
      expect(prlimit(pid, 'nofile', { soft: 100 })).toEqual({ soft: 123, hard: 456 });
      expect(readLimits(pid).nofile).toEqual({ soft: 100, hard: 456 });
      prlimit(pid, 'core', { soft: Infinity, hard: Infinity });
      expect(readLimits(pid).core).toEqual({ soft: Infinity, hard: Infinity });
    });
  });

  it('gives kernel errors as system errors: EINVAL for soft > hard, ESRCH for a gone pid', async () => {
    let gonePid = 0;
    await withSleepingChild((pid) => {
      expectSystemError(() => prlimit(pid, 'nofile', { soft: 10, hard: 5 }), 'EINVAL', 'prlimit');
      gonePid = pid;
    });
    expectSystemError(() => prlimit(gonePid, 'nofile'), 'ESRCH', 'prlimit');
  });

  it('rejects bad pids and values with Node error codes', () => {
    for (const pid of [0, -1, 1.5, 2 ** 40]) expectCodedError(() => prlimit(pid, 'nofile'), RangeError, 'ERR_OUT_OF_RANGE');
    expectCodedError(() => prlimit('1' as never, 'nofile'), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCodedError(() => prlimit(process.pid, 'nofile', { soft: -1 }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCodedError(() => prlimit(process.pid, 'nofile', { soft: NaN }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCodedError(() => prlimit(process.pid, 'nofile', { hard: '5' as never }), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCodedError(() => prlimit(process.pid, 'nofile', 5 as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCodedError(() => prlimit(process.pid, 'bogus' as never), TypeError, 'ERR_INVALID_ARG_VALUE');
  });
});
