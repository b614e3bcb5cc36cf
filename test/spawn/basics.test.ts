import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from '../../src/index';
import { finished } from './helpers';

describe('spawn: output, exit and events', () => {
  it('runs a program found on PATH and reports its output, exit code and events in order', async () => {
    const child = spawn('sh', ['-c', 'echo out; echo err >&2; exit 3']);
    expect(child.pid).toBeGreaterThan(0);
    const result = await finished(child);
    expect(result).toMatchObject({ stdout: 'out\n', stderr: 'err\n', exit: [3, null], close: [3, null], error: null });
    expect(result.events).toEqual(['spawn', 'exit', 'close']);
    expect(child.exitCode).toBe(3);
    expect(child.signalCode).toBeNull();
    expect(child.spawnfile).toBe('sh');
    expect(child.spawnargs).toEqual(['sh', '-c', 'echo out; echo err >&2; exit 3']);
  });

  it('reads stdin until it is ended', async () => {
    const child = spawn('cat');
    child.stdin!.end('hello through stdin');
    const result = await finished(child);
    expect(result.stdout).toBe('hello through stdin');
    expect(result.exit).toEqual([0, null]);
  });

  it('reports death by signal by name, and kill() returns true then false after exit', async () => {
    const child = spawn('sleep', ['30']);
    const done = finished(child);
    await new Promise((resolve) => child.once('spawn', resolve));
    expect(child.kill('SIGKILL')).toBe(true);
    const result = await done;
    expect(result.exit).toEqual([null, 'SIGKILL']);
    expect(child.killed).toBe(true);
    expect(child.signalCode).toBe('SIGKILL');
    expect(child.kill()).toBe(false);
  });

  it('emits close only after exit and after every piped output has ended', async () => {
    const child = spawn('sh', ['-c', 'exec 1>&-; sleep 0.1; echo late >&2']);
    const result = await finished(child);
    expect(result.stderr).toBe('late\n');
    expect(result.events).toEqual(['spawn', 'exit', 'close']);
  });

  it('agrees with child_process on the same commands', async () => {
    const { spawnSync: cpSpawnSync } = await import('node:child_process');
    for (const script of ['exit 0', 'exit 42', 'kill -TERM $$', 'kill -USR1 $$', 'printf abc; exit 1']) {
      const ours = spawnSync('sh', ['-c', script]);
      const theirs = cpSpawnSync('sh', ['-c', script]);
      expect([ours.status, ours.signal, String(ours.stdout)]).toEqual([theirs.status, theirs.signal, String(theirs.stdout)]);
    }
  });

  it('a running child keeps the event loop alive; unref() lets it go; ref() holds it again', () => {
    const entry = require.resolve('../../dist/index.js');
    const script = (calls: string): string => `
      const child = require(${JSON.stringify(entry)}).spawn('sleep', ['0.5'], { stdio: 'ignore' });
      ${calls}
      child.on('exit', (code) => console.log('exit ' + code));
      process.on('exit', () => console.log('loop done'));
    `;
    const run = (calls: string): string => execFileSync(process.execPath, ['-e', script(calls)], { encoding: 'utf8' });
    expect(run('')).toBe('exit 0\nloop done\n');
    expect(run('child.unref();')).toBe('loop done\n');
    expect(run('child.unref(); child.ref();')).toBe('exit 0\nloop done\n');
  });

  it("'exit' runs in the async context of the spawn() call, and a throwing listener is an uncaughtException", () => {
    const entry = require.resolve('../../dist/index.js');
    const output = execFileSync(process.execPath, ['-e', `
      const canfork = require(${JSON.stringify(entry)});
      const store = new (require('node:async_hooks').AsyncLocalStorage)();
      process.on('uncaughtException', (error) => {
        console.log('caught ' + error.message);
        canfork.spawn('sh', ['-c', 'exit 4']).on('exit', (code) => console.log('next exit ' + code));
      });
      store.run('spawn context', () => canfork.spawn('true').on('exit', () => {
        console.log(store.getStore());
        throw new Error('thrown in exit');
      }));
    `], { encoding: 'utf8' });
    expect(output).toBe('spawn context\ncaught thrown in exit\nnext exit 4\n');
  });

  it("'exit' keeps the spawn() call's async context across a full GC before the child ends, as child_process's", () => {
    const entry = require.resolve('../../dist/index.js');
    const output = execFileSync(process.execPath, ['--expose-gc', '-e', `
      const canfork = require(${JSON.stringify(entry)});
      const store = new (require('node:async_hooks').AsyncLocalStorage)();
      const report = (name) => () => console.log(name + ' ' + store.getStore());
      store.run('ours', () => canfork.spawn('sh', ['-c', 'sleep 0.3']).on('exit', report('canfork')));
      store.run('theirs', () => require('node:child_process').spawn('sh', ['-c', 'sleep 0.3']).on('exit', report('child_process')));
      setTimeout(() => globalThis.gc(), 50);
    `], { encoding: 'utf8' });
    expect(output.split('\n').filter(Boolean).sort()).toEqual(['canfork ours', 'child_process theirs']);
  });
});
