import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mmap } from '../../src/index';
import { possiblyAccountableVmas, summariseVmas, type VmaCharges } from '../../src/model/memory';
import { LARGEST_VMAS_LISTED } from '../../src/model/report';
import { ProcfsParseError } from '../../src/procfs/parse-error';
import { parseMaps, parseSmaps } from '../../src/procfs/maps';
import { summarisePrivateVmas } from '../../src/snapshot';
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
    // A file name may hold any byte but '/' and NUL; the kernel escapes only '\n'. CR, ESC, U+2028 are kept.
    const odd = '7f00-7f10 rw-p 00000000 fd:01 5   /tmp/e\u001b[2Jv\ril\u2028x\n';
    expect(parseMaps(odd)[0]?.path).toBe('/tmp/e\u001b[2Jv\ril\u2028x');
    expect(summarisePrivateVmas(odd, 4096).largest[0]?.path).toBe('/tmp/e\u001b[2Jv\ril\u2028x');
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

/** What canFork() computed before the one-pass scanner: every VMA parsed, the private ones kept, then summarised. */
function summaryViaParseMaps(text: string, page = 4096): VmaCharges {
  return summariseVmas(possiblyAccountableVmas(parseMaps(text)), page);
}

/** The error a parse throws, or null. */
function thrown(parse: () => unknown): unknown {
  try {
    parse();
    return null;
  } catch (error) {
    return error;
  }
}

describe('summarisePrivateVmas: the one-pass summary of maps', () => {
  it('equals parseMaps + possiblyAccountableVmas + summariseVmas on the captured maps', () => {
    for (const name of ['proc/node-24g/maps', 'proc/node-small/maps']) {
      const text = fixture(name);
      const summary = summarisePrivateVmas(text, 4096);
      expect(summary).toEqual(summaryViaParseMaps(text));
      expect(summary.largest.length).toBe(LARGEST_VMAS_LISTED);
    }
    const big = summarisePrivateVmas(fixture('proc/node-24g/maps'), 4096).largest[0];
    expect(big).toEqual({ start: 0x7f87dc000000n, end: 0x7f8ddc000000n, bytes: 24 * GiB, path: '' });
  });

  it('equals the old path on the maps of every process of this machine it may read', () => {
    let compared = 0;
    for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      let text: string;
      try {
        text = readFileSync(`/proc/${entry}/maps`, 'utf8');
      } catch {
        continue; // exited, or not ours to read
      }
      expect(summarisePrivateVmas(text, 4096, `/proc/${entry}/maps`), `/proc/${entry}/maps`).toEqual(summaryViaParseMaps(text));
      compared++;
    }
    expect(compared).toBeGreaterThan(5);
  });

  it('leaves out shared VMAs, floors each VMA to pages, and keeps the first of equal sizes', () => {
    const text = [
      '1000-3000 rw-p 00000000 00:00 0',
      '10000-90000 rw-s 00000000 00:01 7   /dev/shm/big',
      '4000-6000 r--p 00000000 fd:01 12   /usr/lib/a b.so (deleted)',
      '7000-7800 rw-p 00000000 00:00 0', // half a page: vma_pages() floors it to 0
      '8000-a000 ---p 00000000 00:00 0',
      '',
    ].join('\n');
    const summary = summarisePrivateVmas(text, 4096);
    expect(summary.sumPages).toBe(6);
    expect(summary.largest.map((vma) => [vma.start, vma.path])).toEqual([
      [0x1000n, ''], [0x4000n, '/usr/lib/a b.so (deleted)'], [0x8000n, ''], [0x7000n, ''],
    ]);
    expect(summary).toEqual(summaryViaParseMaps(text));
  });

  it('reads the bytes as read: a path of any bytes comes out as parseMaps has it from their UTF-8 decoding', () => {
    // /proc gives bytes; a file name need not be UTF-8 (0xff), and a multi-byte character is not split.
    const bytes = Buffer.concat([Buffer.from('7f00-9f10 rw-p 00000000 fd:01 5   /tmp/\u00e9t\u00e9 '), Buffer.from([0xff, 0xfe]),
      Buffer.from(' \u{1d11e}\n1000-2000 rw-s 00000000 00:00 0   /dev/zero\n')]);
    const summary = summarisePrivateVmas(bytes, 4096);
    expect(summary.largest[0]?.path).toBe('/tmp/\u00e9t\u00e9 \ufffd\ufffd \u{1d11e}');
    expect(summary).toEqual(summaryViaParseMaps(bytes.toString('utf8')));
    // A header byte past ASCII is a malformed line, as its decoded character is for parseMaps.
    const malformed = Buffer.concat([Buffer.from('7f00-7f10 rw-p 0000'), Buffer.from([0xc3, 0xa9]), Buffer.from(' 00:00 0\n')]);
    const expected = thrown(() => parseMaps(malformed.toString('utf8'), '/proc/1/maps'));
    expect(expected).toBeInstanceOf(ProcfsParseError);
    expect(thrown(() => summarisePrivateVmas(malformed, 4096, '/proc/1/maps'))).toEqual(expected);
  });

  it('addresses past 2^53 (the vsyscall page) are exact: they go through BigInt', () => {
    const text = '7ffc1000-7ffc3000 rw-p 00000000 00:00 0   [stack]\n' +
      'fffffffffffff000-ffffffffffffffff --xp 00000000 00:00 0   [vsyscall-like]\n' +
      'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n';
    const summary = summarisePrivateVmas(text, 4096);
    expect(summary.largest.find((vma) => vma.path === '[vsyscall]')).toEqual({ start: 0xffffffffff600000n, end: 0xffffffffff601000n, bytes: 4096, path: '[vsyscall]' });
    expect(summary.largest.find((vma) => vma.path === '[vsyscall-like]')).toMatchObject({ start: 0xfffffffffffff000n, bytes: 4095 });
    expect(summary).toEqual(summaryViaParseMaps(text));
  });

  it('rejects what parseMaps rejects, with the same ProcfsParseError', () => {
    const malformed = [
      'not a mapping\n',
      '7f10-7f00 rw-p 00000000 00:00 0\n',
      '7f00-7f00 rw-p 00000000 00:00 0\n',
      '7f00-7f10 rwzp 00000000 00:00 0\n',
      '7f00-7f10 rw-p 00000000 00:00 0\n7F00-7f10 rw-p 00000000 00:00 0\n',
      '7f00-7f10 rw-p 00000000 00:00 0x\n',
      '7f00-7f10 rw-p 00000000 00:00 \n',
      '7f00-7f10 rw-p 00000000 0000 0\n',
      '7f00-7f10 rw-p  00000000 00:00 0\n',
      '7f00-7f10 rw-p 00000000 00:00 0\r\n',
      'ffffffffffffffff-fffffffffffff000 rw-p 00000000 00:00 0\n',
      '-7f10 rw-p 00000000 00:00 0\n',
    ];
    for (const text of malformed) {
      const expected = thrown(() => parseMaps(text, '/proc/1/maps'));
      expect(expected, JSON.stringify(text)).toBeInstanceOf(ProcfsParseError);
      expect(thrown(() => summarisePrivateVmas(text, 4096, '/proc/1/maps')), JSON.stringify(text)).toEqual(expected);
    }
    expect(summarisePrivateVmas('', 4096)).toEqual({ sumPages: 0, largest: [] });
    expect(summarisePrivateVmas('\n\n7f00-7f10 rw-p 00000000 00:00 0', 4096)).toEqual(summaryViaParseMaps('\n\n7f00-7f10 rw-p 00000000 00:00 0'));
  });
});
