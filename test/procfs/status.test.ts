import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProcfsParseError } from '../../src/procfs/parse-error';
import { parseCensusStatus } from '../../src/procfs/census';
import { parseStatus } from '../../src/procfs/status';
import { fixture } from './fixture';

describe('status', () => {
  it('parses a captured root Node process: real uid, threads, CapEff, total_vm', () => {
    const status = parseStatus(fixture('proc/node-small/status'));
    expect(status).toMatchObject({ name: 'node', realUid: 0, effectiveUid: 0, capEff: 0x000001fffeffffffn });
    expect(status.threads).toBeGreaterThan(1);
    expect(status.totalVmBytes).toBeGreaterThan(0);
    // The census takes its fields through the same splitter: they agree.
    expect(parseCensusStatus(fixture('proc/node-small/status'))).toMatchObject({ realUid: 0, threads: status.threads });
  });

  it('parses a captured process of nobody: uid 65534, no capabilities', () => {
    expect(parseStatus(fixture('proc/nobody/status'))).toMatchObject({ realUid: 65534, capEff: 0n, threads: 1 });
  });

  it('a kernel thread has no VmSize', () => {
    const text = readFileSync('/proc/2/status', 'utf8');
    expect(parseStatus(text)).toMatchObject({ realUid: 0, totalVmBytes: null });
  });

  it('a live process named with trailing blanks: both parsers keep them, as ps shows the name', async () => {
    const child = spawn(process.execPath, ['-e', `process.title = 'ab  '; process.stdout.write('ready'); process.stdin.resume();`], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await once(child.stdout!, 'data');
      const text = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      expect(text).toMatch(/^Name:\tab {2}$/m);
      expect(parseStatus(text).name).toBe('ab  ');
      expect(parseCensusStatus(text).comm).toBe('ab  ');
    } finally {
      const exited = once(child, 'exit');
      child.kill();
      await exited;
    }
  });

  it('throws ProcfsParseError on malformed input', () => {
    const good = fixture('proc/nobody/status');
    expect(() => parseStatus(good.replace(/^Uid:.*$/m, 'Uid:\t1\t2'))).toThrow(/Uid needs 4/);
    expect(() => parseStatus(good.replace(/^CapEff:.*$/m, 'CapEff:\tzz'))).toThrow(/CapEff/);
    expect(() => parseStatus(good.replace(/^Threads:.*$/m, ''))).toThrow(/missing Threads/);
    expect(() => parseStatus('no colon here\n', '/proc/9/status')).toThrow(ProcfsParseError);
  });
});
