// The kept descriptors behind canFork()'s reads: the text must be what a fresh open would read, every time.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { canFork, mmap, type Mapping } from '../../src/index';
import { keptDescriptorOf, readKeptFile, readKeptSysctl } from '../../src/procfs/kept-file';
import { GiB, vmSizeBytes } from '../helpers/proc';
import { openFdCount } from '../stress/helpers';

const held: Mapping[] = [];
afterEach(() => {
  for (const mapping of held.splice(0)) mapping.unmap();
});

describe('readKeptFile', () => {
  it('reads /proc/self/status afresh through the same descriptor: VmSize follows a mapping in and out', () => {
    const path = `/proc/${process.pid}/status`;
    const vmSizeIn = (text: string): number => Number(/^VmSize:\s+(\d+) kB$/m.exec(text)![1]) * 1024;
    const before = vmSizeIn(readKeptFile(path));
    const fd = keptDescriptorOf(path);
    const mapping = mmap(GiB, { noreserve: true });
    held.push(mapping);
    const mapped = vmSizeIn(readKeptFile(path));
    // Half a GiB of slack either way: V8's threads map and unmap small regions meanwhile.
    expect(mapped - before).toBeGreaterThan(GiB / 2);
    expect(Math.abs(mapped - vmSizeBytes())).toBeLessThan(GiB);
    held.pop()!.unmap();
    expect(vmSizeIn(readKeptFile(path))).toBeLessThan(mapped - GiB / 2);
    expect(keptDescriptorOf(path)).toBe(fd);
  });

  it('reads all of a file longer than one read (maps: 4 KiB a read), with a new mapping at its address', () => {
    const path = `/proc/${process.pid}/maps`;
    const mapping = mmap(GiB, { noreserve: true });
    held.push(mapping);
    const start = `${mapping.address.toString(16)}-`;
    const text = readKeptFile(path);
    expect(text.length).toBeGreaterThan(4096);
    expect(text.split('\n').some((line) => line.startsWith(start))).toBe(true);
    // The tail of the file (the last VMAs do not come and go with V8's heap) is the tail a fresh read gives.
    expect(text.split('\n').slice(-3)).toEqual(readFileSync(path, 'utf8').split('\n').slice(-3));
    held.pop()!.unmap();
    expect(readKeptFile(path).split('\n').some((line) => line.startsWith(start))).toBe(false);
  });

  it('gives the text readFileSync gives for files that hold still', () => {
    for (const path of ['/proc/sys/kernel/pid_max', '/proc/sys/vm/overcommit_memory', '/proc/self/mountinfo', `/proc/${process.pid}/cgroup`]) {
      expect(readKeptFile(path)).toBe(readFileSync(path, 'utf8'));
      expect(readKeptFile(path)).toBe(readFileSync(path, 'utf8'));
    }
  });

  it('opens a file again when its kept descriptor was closed behind its back', () => {
    const path = '/proc/sys/kernel/threads-max';
    readKeptFile(path);
    closeSync(keptDescriptorOf(path)!);
    expect(readKeptFile(path)).toBe(readFileSync(path, 'utf8'));
    expect(readKeptFile(path)).toBe(readFileSync(path, 'utf8'));
  });

  it('throws what readFileSync throws for a file it cannot open, and keeps nothing for it', () => {
    const path = `/proc/${process.pid}/no-such-file`;
    const expected = (() => {
      try {
        readFileSync(path, 'utf8');
      } catch (error) {
        return error as NodeJS.ErrnoException;
      }
      throw new Error('unreachable');
    })();
    expect(() => readKeptFile(path)).toThrow(expect.objectContaining({ code: expected.code, errno: expected.errno, syscall: expected.syscall, path }));
    expect(keptDescriptorOf(path)).toBeUndefined();
  });
});

describe('readKeptSysctl', () => {
  const sysctls = ['overcommit_memory', 'overcommit_ratio', 'overcommit_kbytes', 'admin_reserve_kbytes', 'user_reserve_kbytes']
    .map((name) => `/proc/sys/vm/${name}`).concat('/proc/sys/kernel/threads-max', '/proc/sys/kernel/pid_max');

  it('gives the text readFileSync gives, for every sysctl canfork reads', () => {
    for (const path of sysctls) {
      expect(readKeptSysctl(path)).toBe(readFileSync(path, 'utf8'));
      expect(readKeptSysctl(path)).toBe(readFileSync(path, 'utf8'));
    }
  });

  it('the kernel gives a numeric sysctl whole in the first read and nothing after: a cut read cannot be continued', () => {
    for (const path of sysctls) {
      const whole = readFileSync(path, 'utf8');
      const fd = openSync(path, 'r');
      try {
        const buffer = Buffer.alloc(64);
        expect(readSync(fd, buffer, 0, 64, 0)).toBe(whole.length);
        expect(readSync(fd, buffer, 0, 64, whole.length)).toBe(0);
        // Cut to one byte, the rest is not at position 1 either: only a read from 0 with room gets it.
        expect(readSync(fd, buffer, 0, 1, 0)).toBe(1);
        expect(readSync(fd, buffer, 0, 64, 1)).toBe(0);
      } finally {
        closeSync(fd);
      }
    }
  });

  it('reads a file longer than its one read whole, from offset 0 again', () => {
    expect(readFileSync(__filename, 'utf8').length).toBeGreaterThan(256);
    expect(readKeptSysctl(__filename)).toBe(readFileSync(__filename, 'utf8'));
    expect(readKeptSysctl(__filename)).toBe(readFileSync(__filename, 'utf8'));
  });
});

describe('canFork() and its kept descriptors', () => {
  it('opens no descriptor after its first answer, and keeps none for another process', async () => {
    canFork();
    const afterFirst = openFdCount();
    for (let i = 0; i < 200; i++) canFork();
    expect(openFdCount()).toBe(afterFirst);

    const child = spawn('sleep', ['5'], { stdio: 'ignore' });
    try {
      await once(child, 'spawn');
      canFork({ pid: child.pid! });
      for (const name of ['status', 'maps', 'cgroup', 'oom_score']) expect(keptDescriptorOf(`/proc/${child.pid}/${name}`)).toBeUndefined();
      expect(keptDescriptorOf(`/proc/${process.pid}/maps`)).toBeDefined();
    } finally {
      child.kill();
      await once(child, 'exit');
    }
  });
});
