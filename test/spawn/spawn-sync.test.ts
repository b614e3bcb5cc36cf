import { spawnSync as cpSpawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { spawnSync } from '../../src/index';

describe('spawnSync', () => {
  it("returns child_process.spawnSync's shape: pid, status, signal, stdout, stderr, output", () => {
    const result = spawnSync('sh', ['-c', 'echo out; echo err >&2; exit 5']);
    expect(result.pid).toBeGreaterThan(0);
    expect(result).toMatchObject({ status: 5, signal: null });
    expect(result.error).toBeUndefined();
    expect(result.output).toEqual([null, Buffer.from('out\n'), Buffer.from('err\n')]);
    expect(result.stdout).toEqual(Buffer.from('out\n'));
    expect(result.stderr).toEqual(Buffer.from('err\n'));
  });

  it('input goes to stdin (string, Buffer, TypedArray), then stdin is closed', () => {
    expect(spawnSync('cat', [], { input: 'text', encoding: 'utf8' }).stdout).toBe('text');
    expect(spawnSync('cat', [], { input: Buffer.from([1, 2, 3]) }).stdout).toEqual(Buffer.from([1, 2, 3]));
    expect(spawnSync('wc', ['-c'], { input: new Uint8Array(3 << 20), encoding: 'utf8' }).stdout!.trim()).toBe(String(3 << 20));
    expect(spawnSync('cat', [], { encoding: 'utf8' }).stdout).toBe('');
  });

  it('reads large outputs on both pipes without deadlock', () => {
    const result = spawnSync('sh', ['-c', 'head -c 3000000 /dev/zero; head -c 2000000 /dev/zero >&2'], { maxBuffer: Infinity });
    expect(result.stdout!.length).toBe(3000000);
    expect(result.stderr!.length).toBe(2000000);
  });

  it('signals by name', () => {
    const result = spawnSync('sh', ['-c', 'kill -KILL $$']);
    expect(result).toMatchObject({ status: null, signal: 'SIGKILL' });
  });

  it('timeout: killSignal is sent and error is ETIMEDOUT, as child_process', () => {
    const ours = spawnSync('sleep', ['30'], { timeout: 50 });
    const theirs = cpSpawnSync('sleep', ['30'], { timeout: 50 });
    expect(ours.error).toMatchObject({ code: 'ETIMEDOUT', syscall: 'spawnSync sleep', path: 'sleep', spawnargs: ['30'] });
    expect([ours.status, ours.signal, ours.error!.message]).toEqual([theirs.status, theirs.signal, theirs.error!.message]);
    expect(spawnSync('sleep', ['30'], { timeout: 50, killSignal: 'SIGKILL' }).signal).toBe('SIGKILL');
  });

  it('maxBuffer: the child is killed and error is ENOBUFS', () => {
    const result = spawnSync('sh', ['-c', 'while :; do echo aaaaaaaaaaaa; done'], { maxBuffer: 1000 });
    expect(result.error).toMatchObject({ code: 'ENOBUFS', syscall: 'spawnSync sh' });
    expect(result.signal).toBe('SIGTERM');
    expect(result.stdout!.length).toBeGreaterThan(1000);
  });

  it('a missing program: error ENOENT and the empty result child_process gives', () => {
    const ours = spawnSync('canfork-no-such-program', ['a']);
    const theirs = cpSpawnSync('canfork-no-such-program', ['a']);
    // The running Node's own shape: Node 20 gives stdout/stderr null here, Node 24 and 26 undefined.
    const { pid, status, signal, output } = theirs;
    expect(ours).toMatchObject({ pid, status, signal, output });
    expect([ours.stdout, ours.stderr]).toStrictEqual([theirs.stdout, theirs.stderr]);
    expect(ours.error).toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'spawnSync canfork-no-such-program', path: 'canfork-no-such-program', spawnargs: ['a'] });
  });

  it('stdio: inherit and ignore leave no output entry', () => {
    const result = spawnSync('true', [], { stdio: ['ignore', 'ignore', 'pipe'] });
    expect(result.output).toEqual([null, null, Buffer.alloc(0)]);
    expect(result.stdout).toBeNull();
  });
});
