// The C floor compiles with the system cc and prints the JSON the harness parses.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const source = path.resolve(__dirname, '../../bench/baseline.c');
let directory: string;
let binary: string;

beforeAll(() => {
  directory = mkdtempSync(path.join(tmpdir(), 'canfork-bench-'));
  binary = path.join(directory, 'baseline');
  execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', binary, source]);
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function run(...args: string[]): Record<string, unknown> {
  return JSON.parse(execFileSync(binary, args, { encoding: 'utf8' })) as Record<string, unknown>;
}

describe('bench/baseline.c', () => {
  it('spawn: holds the requested memory resident and times each posix_spawn+waitpid and the blocked call', () => {
    const heldBytes = 64 * 1024 * 1024;
    const result = run('spawn', String(heldBytes), '4') as { residentBytes: number; samplesNs: number[]; blockedNs: number[] };
    expect(result.residentBytes).toBeGreaterThanOrEqual(heldBytes);
    expect(result.samplesNs).toHaveLength(4);
    expect(result.blockedNs).toHaveLength(4);
    // The call returns once the child has exec'd, before it is reaped: a part of the whole.
    result.samplesNs.forEach((ns, i) => expect(result.blockedNs[i]).toBeGreaterThan(0));
    result.samplesNs.forEach((ns, i) => expect(result.blockedNs[i]).toBeLessThan(ns));
  });

  it('calls: one per-call time per round for getrlimit and mmap+munmap', () => {
    const result = run('calls', '2') as { getrlimitNs: number[]; mmapUnmapNs: number[] };
    expect(result.getrlimitNs).toHaveLength(2);
    expect(result.mmapUnmapNs).toHaveLength(2);
  });

  it('refuses an unknown mode with exit code 2', () => {
    expect(() => execFileSync(binary, ['nonsense'], { stdio: 'pipe' })).toThrow(expect.objectContaining({ status: 2 }));
  });
});
