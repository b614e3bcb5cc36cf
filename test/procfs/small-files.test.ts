// One-line files: sysctls, loadavg, and the binary auxv.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pageBytes, parseAuxvPageSize } from '../../src/procfs/auxv';
import { parseLoadavg, readLoadavg } from '../../src/procfs/loadavg';
import { ProcfsParseError } from '../../src/procfs/parse-error';
import { parseOvercommitMode, parseSysctlNumber, readKernelSysctls, readOvercommitMode, readVmSysctls } from '../../src/procfs/sysctl';
import { overcommitMode } from '../helpers/proc';
import { fixture, fixturePath } from './fixture';

describe('sysctls', () => {
  it('parses the captured values', () => {
    expect(parseOvercommitMode(fixture('proc/machine/vm.overcommit_memory'))).toBe(0);
    expect(parseSysctlNumber(fixture('proc/machine/vm.overcommit_ratio'))).toBe(50);
    expect(parseSysctlNumber(fixture('proc/machine/kernel.threads-max'))).toBe(192730);
    expect(parseSysctlNumber(fixture('proc/machine/kernel.pid_max'))).toBe(32768);
  });

  it('reads the live ones', () => {
    expect(readOvercommitMode()).toBe(overcommitMode());
    expect(readVmSysctls()).toMatchObject({ overcommitMemory: overcommitMode(), userReserveKbytes: expect.any(Number) });
    expect(readKernelSysctls().threadsMax).toBe(Number(readFileSync('/proc/sys/kernel/threads-max', 'utf8')));
  });

  it('throws ProcfsParseError on malformed input', () => {
    expect(() => parseSysctlNumber('', '/proc/sys/vm/x')).toThrow(ProcfsParseError);
    expect(() => parseSysctlNumber('1 2\n')).toThrow(ProcfsParseError);
    expect(() => parseSysctlNumber('99999999999999999999\n')).toThrow(/not exact/);
    expect(() => parseOvercommitMode('3\n')).toThrow(/unknown overcommit mode 3/);
  });
});

describe('loadavg', () => {
  it('field 4 is runnable/nr_threads', () => {
    expect(parseLoadavg(fixture('proc/machine/loadavg'))).toMatchObject({ load1: 2.15, runnable: 3, threads: 122, lastPid: 26020 });
    expect(readLoadavg().threads).toBeGreaterThan(10);
    expect(() => parseLoadavg('0.1 0.2 0.3 1 89 5\n', '/proc/loadavg')).toThrow(ProcfsParseError);
  });
});

describe('auxv', () => {
  it('finds AT_PAGESZ in the captured and the live vector', () => {
    expect(parseAuxvPageSize(readFileSync(fixturePath('proc/machine/auxv')))).toBe(4096);
    expect(pageBytes()).toBe(4096);
    expect(() => parseAuxvPageSize(Buffer.alloc(32), '/proc/self/auxv')).toThrow(ProcfsParseError);
  });
});
