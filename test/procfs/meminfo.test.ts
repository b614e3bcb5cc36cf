import { describe, expect, it } from 'vitest';
import { ProcfsParseError } from '../../src/procfs/parse-error';
import { parseMeminfo, readMeminfo } from '../../src/procfs/meminfo';
import { meminfoBytes } from '../helpers/proc';
import { fixture } from './fixture';

describe('meminfo', () => {
  it('parses the captured /proc/meminfo in bytes', () => {
    const meminfo = parseMeminfo(fixture('proc/machine/meminfo'));
    expect(meminfo).toMatchObject({
      memTotalBytes: 24684084 * 1024,
      swapTotalBytes: 0,
      swapFreeBytes: 0,
      commitLimitBytes: 12342040 * 1024,
    });
    expect(meminfo.committedBytes).toBeGreaterThan(0);
  });

  it('reads the live file, in agreement with an independent reader', () => {
    const meminfo = readMeminfo();
    expect(meminfo.memTotalBytes).toBe(meminfoBytes('MemTotal'));
    expect(meminfo.swapTotalBytes).toBe(meminfoBytes('SwapTotal'));
    expect(meminfo.commitLimitBytes).toBe(meminfoBytes('CommitLimit'));
  });

  it('throws ProcfsParseError on malformed or truncated input', () => {
    expect(() => parseMeminfo('MemTotal: lots\n', '/x')).toThrow(ProcfsParseError);
    expect(() => parseMeminfo('MemTotal:       24684084 kB\n')).toThrow(/missing .*CommitLimit/);
    const error = (() => {
      try {
        parseMeminfo(`${fixture('proc/machine/meminfo')}garbage\n`, '/proc/meminfo');
      } catch (caught) {
        return caught as ProcfsParseError;
      }
      return null;
    })();
    expect(error).toMatchObject({ code: 'ERR_CANFORK_PROCFS_PARSE', path: '/proc/meminfo' });
    expect(error?.line).toBeGreaterThan(40);
  });
});
