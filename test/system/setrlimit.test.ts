// Changes this worker process's own rlimits; every change is undone in `finally`.
import { describe, expect, it } from 'vitest';
import { getrlimit, setrlimit } from '../../src/index';
import { readLimits } from '../../src/procfs/limits';
import { expectCodedError, expectSystemError } from '../helpers/errors';

describe('setrlimit', () => {
  it('round-trips through getrlimit and shows in /proc/self/limits', () => {
    const saved = getrlimit('nofile');
    try {
      setrlimit('nofile', { soft: 512, hard: saved.hard });
      expect(getrlimit('nofile')).toEqual({ soft: 512, hard: saved.hard });
      expect(readLimits().nofile).toEqual({ soft: 512, hard: saved.hard });
      setrlimit('nofile', { soft: 256 });
      expect(readLimits().nofile).toEqual({ soft: 256, hard: saved.hard });
    } finally {
      setrlimit('nofile', saved);
    }
    expect(getrlimit('nofile')).toEqual(saved);
  });

  it('sets and reads Infinity as unlimited', () => {
    const saved = getrlimit('core');
    try {
      setrlimit('core', { soft: 0, hard: Infinity });
      expect(readLimits().core).toEqual({ soft: 0, hard: Infinity });
    } finally {
      setrlimit('core', saved);
    }
  });

  it('EINVAL for soft above hard; EPERM when an unprivileged process raises its hard limit', () => {
    const saved = getrlimit('nofile');
    expectSystemError(() => setrlimit('nofile', { soft: saved.hard === Infinity ? 10 : saved.hard, hard: 5 }), 'EINVAL', 'setrlimit');
    expect(getrlimit('nofile')).toEqual(saved);
    expectCodedError(() => setrlimit('nofile', { soft: -5 }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCodedError(() => setrlimit('nofile', null as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCodedError(() => setrlimit('nofiles' as never, { soft: 1 }), TypeError, 'ERR_INVALID_ARG_VALUE');
  });
});
