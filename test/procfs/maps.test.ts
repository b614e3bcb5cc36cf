import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mmap } from '../../src/index';
import { ProcfsParseError } from '../../src/procfs/parse-error';
import { parseMaps, parseSmaps } from '../../src/procfs/maps';
import { GiB, vmaAt } from '../helpers/proc';
import { fixture } from './fixture';

describe('maps and smaps', () => {
  it('parses a captured maps: ranges, permissions, paths with spaces and pseudo-paths', () => {
    const vmas = parseMaps(fixture('proc/node-24g/maps'));
    expect(vmas.length).toBe(fixture('proc/node-24g/maps').trim().split('\n').length);
    const big = vmas.find((vma) => vma.start === 0x7f87dc000000n);
    expect(big).toEqual({
      start: 0x7f87dc000000n, end: 0x7f8ddc000000n, bytes: 24 * GiB,
      readable: true, writable: true, executable: false, shared: false,
      offset: 0n, device: '00:00', inode: 0, path: '',
    });
    expect(vmas.some((vma) => vma.path === '[stack]')).toBe(true);
    expect(vmas.some((vma) => vma.path.endsWith('/node') && vma.executable)).toBe(true);
    const [withSpace] = parseMaps('7f00-7f10 r--s 00001000 fd:01 1234   /tmp/a file (deleted)\n');
    expect(withSpace).toMatchObject({ shared: true, offset: 0x1000n, inode: 1234, path: '/tmp/a file (deleted)' });
  });

  it('parses a captured smaps: the same VMAs as maps, each with its VmFlags', () => {
    const smaps = parseSmaps(fixture('proc/node-24g/smaps'));
    const maps = parseMaps(fixture('proc/node-24g/maps'));
    expect(smaps.map((vma) => vma.start)).toEqual(maps.map((vma) => vma.start));
    expect(smaps.every((vma) => vma.vmFlags.length > 0)).toBe(true);
    expect(smaps.find((vma) => vma.bytes === 24 * GiB)?.vmFlags).toEqual(['rd', 'wr', 'mr', 'mw', 'me', 'ac']);
  });

  it('agrees with the kernel on a live mapping of this process', () => {
    const mapping = mmap(GiB, { dontfork: true });
    try {
      const vmas = parseSmaps(readFileSync('/proc/self/smaps', 'utf8'), '/proc/self/smaps');
      const vma = vmas.find((candidate) => candidate.start <= mapping.address && mapping.address < candidate.end);
      expect(vma?.vmFlags).toEqual(vmaAt(mapping.address)?.flags);
      expect(vma?.vmFlags).toEqual(expect.arrayContaining(['ac', 'dc']));
    } finally {
      mapping.unmap();
    }
  });

  it('throws ProcfsParseError on malformed input', () => {
    expect(() => parseMaps('not a mapping\n', '/proc/1/maps')).toThrow(ProcfsParseError);
    expect(() => parseMaps('7f10-7f00 rw-p 00000000 00:00 0\n')).toThrow(/inverted/);
    expect(() => parseMaps('7f00-7f10 rwzp 00000000 00:00 0\n')).toThrow(ProcfsParseError);
    expect(() => parseSmaps('VmFlags: rd wr\n')).toThrow(/before any VMA/);
    expect(() => parseSmaps('7f00-7f10 rw-p 00000000 00:00 0\n???\n')).toThrow(/line 2/);
    expect(parseMaps('')).toEqual([]);
  });
});
