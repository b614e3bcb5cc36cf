import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { liveMappingCount, Mapping, mmap } from '../../src/index';
import { expectCodedError, expectSystemError } from '../helpers/errors';
import { GiB, MiB, meminfoBytes, overcommitMode, rssBytes, vmaAt } from '../helpers/proc';

const modeZero = overcommitMode() === 0;

describe('mmap', () => {
  it('maps an accountable (ac) private writable range that smaps shows', () => {
    const mapping = mmap(64 * MiB);
    try {
      expect(typeof mapping.address).toBe('bigint');
      expect(mapping.length).toBe(64 * MiB);
      const vma = vmaAt(mapping.address);
      expect(vma?.flags).toEqual(expect.arrayContaining(['rd', 'wr', 'ac']));
      expect(vma?.flags).not.toContain('nr');
      expect(vma?.flags).not.toContain('dc');
    } finally {
      mapping.unmap();
    }
  });

  it.runIf(modeZero)('noreserve shows nr and no ac (overcommit mode 0)', () => {
    const mapping = mmap(64 * MiB, { noreserve: true });
    try {
      const flags = vmaAt(mapping.address)?.flags;
      expect(flags).toContain('nr');
      expect(flags).not.toContain('ac');
    } finally {
      mapping.unmap();
    }
  });

  it('dontfork shows dc', () => {
    const mapping = mmap(64 * MiB, { dontfork: true });
    try {
      expect(vmaAt(mapping.address)?.flags).toEqual(expect.arrayContaining(['dc', 'ac']));
    } finally {
      mapping.unmap();
    }
  });

  it('maps 8 GiB (above 4 GiB) without growing RSS', () => {
    const before = rssBytes();
    const mapping = mmap(8 * GiB);
    try {
      expect(vmaAt(mapping.address)?.sizeBytes).toBeGreaterThanOrEqual(8 * GiB);
      expect(rssBytes() - before).toBeLessThan(4 * MiB);
    } finally {
      mapping.unmap();
    }
  });

  it.runIf(modeZero)('maps 64 GiB with noreserve under overcommit mode 0', () => {
    const mapping = mmap(64 * GiB, { noreserve: true });
    try {
      expect(vmaAt(mapping.address)?.sizeBytes).toBeGreaterThanOrEqual(64 * GiB);
    } finally {
      mapping.unmap();
    }
  });

  it.runIf(modeZero)('a request over MemTotal+SwapTotal is a system error ENOMEM from mmap', () => {
    const tooBig = meminfoBytes('MemTotal') + meminfoBytes('SwapTotal') + GiB;
    expectSystemError(() => mmap(tooBig), 'ENOMEM', 'mmap');
  });

  it('unmap removes the range, and a second unmap or dispose is harmless', () => {
    const before = liveMappingCount();
    const mapping = mmap(16 * MiB);
    expect(liveMappingCount()).toBe(before + 1);
    mapping.unmap();
    expect(mapping.mapped).toBe(false);
    expect(vmaAt(mapping.address)).toBeNull();
    mapping.unmap();
    mapping[Symbol.dispose]();
    expect(liveMappingCount()).toBe(before);
  });

  it('Mapping cannot be constructed directly', () => {
    expectCodedError(() => new (Mapping as unknown as new () => Mapping)(), TypeError, 'ERR_ILLEGAL_CONSTRUCTOR');
  });

  it.each([
    [0, 'ERR_OUT_OF_RANGE'],
    [-1, 'ERR_OUT_OF_RANGE'],
    [1.5, 'ERR_OUT_OF_RANGE'],
    [NaN, 'ERR_OUT_OF_RANGE'],
    [Infinity, 'ERR_OUT_OF_RANGE'],
    [2 ** 53, 'ERR_OUT_OF_RANGE'],
    ['4096', 'ERR_INVALID_ARG_TYPE'],
    [undefined, 'ERR_INVALID_ARG_TYPE'],
    [4096n, 'ERR_INVALID_ARG_TYPE'],
  ] as const)('rejects length %s with %s', (length, code) => {
    const before = liveMappingCount();
    expectCodedError(() => mmap(length as number), code === 'ERR_OUT_OF_RANGE' ? RangeError : TypeError, code);
    expect(liveMappingCount()).toBe(before);
  });

  it('rejects bad options with ERR_INVALID_ARG_TYPE', () => {
    expectCodedError(() => mmap(4096, 'noreserve' as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCodedError(() => mmap(4096, { noreserve: 1 as never }), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCodedError(() => mmap(4096, { dontfork: 'yes' as never }), TypeError, 'ERR_INVALID_ARG_TYPE');
  });

  it('unmaps a mapping that is garbage-collected without unmap()', () => {
    // A fresh node with --expose-gc, so the collector can be driven to run the native finalizer.
    const script = `
      const { mmap, liveMappingCount } = require(${JSON.stringify(require.resolve('../../dist/index.js'))});
      const fs = require('node:fs');
      let mapping = mmap(${GiB});
      const start = mapping.address.toString(16);
      mapping = null;
      (async () => {
        for (let i = 0; i < 50 && liveMappingCount() > 0; i++) { gc(); await new Promise((r) => setImmediate(r)); }
        const stillMapped = fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').some((l) => l.startsWith(start + '-'));
        console.log(JSON.stringify({ live: liveMappingCount(), stillMapped }));
      })();`;
    const result = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ live: 0, stillMapped: false });
  });
});
