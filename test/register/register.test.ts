// canfork/register: every child_process function of a process routed through canfork (CJS and ESM
// views, --require, --import, NODE_OPTIONS, workers), the CANFORK_REGISTER=0 escape hatch, and an undo
// that leaves nothing patched.
import childProcess from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as canfork from '../../src/index';

const packageRoot = path.resolve(__dirname, '../..');
const scratch = mkdtempSync(path.join(tmpdir(), 'canfork-register-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const NAMES = ['spawn', 'exec', 'execFile', 'fork', 'spawnSync', 'execSync', 'execFileSync'] as const;

// Runs in the subprocess: which child_process functions are canfork's (CJS and ESM views), and that
// each of them works, in the order the program calls them.
const probe = `
import { createRequire } from 'node:module';
import * as esm from 'node:child_process';
import { promisify } from 'node:util';
const require = createRequire(${JSON.stringify(path.join(packageRoot, 'package.json'))});
const cjs = require('node:child_process');
const canfork = require(${JSON.stringify(packageRoot)});
const names = ${JSON.stringify(NAMES)};
const mark = Symbol.for('canfork.registered');
const patched = names.filter((name) => cjs[name][mark] === true && esm[name] === cjs[name]);
const results = [];
results.push(cjs.execSync('echo execSync').toString().trim());
results.push(cjs.execFileSync('echo', ['execFileSync']).toString().trim());
results.push(esm.spawnSync('echo', ['spawnSync']).stdout.toString().trim());
results.push((await promisify(esm.exec)('echo exec')).stdout.trim());
results.push((await promisify(cjs.execFile)('echo', ['execFile'])).stdout.trim());
const child = esm.spawn('echo', ['spawn']);
let out = '';
child.stdout.on('data', (d) => (out += d));
await new Promise((resolve) => child.on('close', resolve));
results.push(out.trim());
const forked = cjs.fork(${JSON.stringify(path.join(scratch, 'echo-child.cjs'))});
forked.send('fork');
results.push(await new Promise((resolve) => forked.once('message', (m) => { forked.disconnect(); resolve(m); })));
console.log(JSON.stringify({ patched, registered: canfork.isRegistered(), results }));
`;
const probeFile = path.join(scratch, 'probe.mjs');
writeFileSync(probeFile, probe);
writeFileSync(path.join(scratch, 'echo-child.cjs'), 'process.once("message", (m) => process.send(m + " back"));\n');

const allWorking = ['execSync', 'execFileSync', 'spawnSync', 'exec', 'execFile', 'spawn', 'fork back'];

function runProbe(execArgv: string[], env: NodeJS.ProcessEnv = {}): { patched: string[]; registered: boolean; results: string[] } {
  const output = childProcess.execFileSync(process.execPath, [...execArgv, probeFile], {
    cwd: packageRoot, env: { ...process.env, NODE_OPTIONS: '', ...env }, encoding: 'utf8', timeout: 60_000,
  });
  return JSON.parse(output.trim().split('\n').pop()!);
}

describe('canfork/register', () => {
  it('node --require canfork/register: all seven functions are canfork\'s, in the CJS and ESM views, and work', () => {
    expect(runProbe(['--require', 'canfork/register'])).toEqual({ patched: [...NAMES], registered: true, results: allWorking });
  });

  it('node --import canfork/register', () => {
    expect(runProbe(['--import', 'canfork/register'])).toEqual({ patched: [...NAMES], registered: true, results: allWorking });
  });

  it("NODE_OPTIONS='--require canfork/register'", () => {
    expect(runProbe([], { NODE_OPTIONS: '--require canfork/register' })).toEqual({ patched: [...NAMES], registered: true, results: allWorking });
  });

  it('CANFORK_REGISTER=0 makes the register module do nothing', () => {
    expect(runProbe(['--import', 'canfork/register'], { CANFORK_REGISTER: '0' })).toEqual({ patched: [], registered: false, results: allWorking });
    expect(runProbe(['--require', 'canfork/register'], { CANFORK_REGISTER: '0' })).toEqual({ patched: [], registered: false, results: allWorking });
  });

  it('works in each worker that loads it, and only there', () => {
    const script = `
      const { Worker } = require('node:worker_threads');
      const cp = require('node:child_process');
      const workerCode = \`
        require('canfork/register');
        const cp = require('node:child_process');
        const canfork = require(${JSON.stringify(packageRoot)});
        const child = cp.spawn('echo', ['from the worker']);
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.on('close', (code) => require('node:worker_threads').parentPort.postMessage({ patched: cp.spawn[Symbol.for('canfork.registered')] === true, out, code }));
      \`;
      const worker = new Worker(workerCode, { eval: true });
      worker.on('message', (m) => { console.log(JSON.stringify({ ...m, mainPatched: cp.spawn[Symbol.for('canfork.registered')] === true })); });
    `;
    const output = childProcess.execFileSync(process.execPath, ['-e', script], { cwd: packageRoot, encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(output)).toEqual({ patched: true, out: 'from the worker\n', code: 0, mainPatched: false });
  });

  it('register() is idempotent; its undo restores every child_process export, in the ESM view too', async () => {
    const esm = await import('node:child_process');
    const before = { ...childProcess } as Record<string, unknown>;
    const esmBefore = { ...esm } as Record<string, unknown>;
    const undo = canfork.register();
    try {
      expect(canfork.isRegistered()).toBe(true);
      expect(canfork.register()).toBe(undo);
      for (const name of NAMES) {
        const installed = (childProcess as unknown as Record<string, Record<symbol, unknown>>)[name]!;
        expect(installed[Symbol.for('canfork.registered')]).toBe(true);
        expect((installed as unknown as { name: string }).name).toBe(name);
        expect((esm as unknown as Record<string, unknown>)[name]).toBe(installed);
      }
    } finally {
      undo();
    }
    undo();
    expect(canfork.isRegistered()).toBe(false);
    expect({ ...childProcess }).toEqual(before);
    for (const [name, value] of Object.entries(before)) expect((childProcess as unknown as Record<string, unknown>)[name], name).toBe(value);
    for (const [name, value] of Object.entries(esmBefore)) expect((esm as unknown as Record<string, unknown>)[name], name).toBe(value);
  });

  it('child_process under register ignores canfork\'s own options, as stock child_process does', async () => {
    // execa passes forceKillAfterDelay to every spawn; processGroup, rlimits, cgroup and killOnParentExit are
    // just as foreign to child_process. The same call, stock and registered: same process group, same limits,
    // and no argument error for values canfork itself would refuse.
    const foreign = { processGroup: true, rlimits: { nofile: 7 }, forceKillAfterDelay: 'soon', cgroup: 'yes', killOnParentExit: 1 };
    const script = 'read _ _ _ _ pgrp _ < /proc/self/stat; echo "$pgrp $(ulimit -n)"';
    const run = async (): Promise<string> => {
      const child = childProcess.spawn('sh', ['-c', script], foreign as unknown as childProcess.SpawnOptions);
      let out = '';
      child.stdout!.on('data', (chunk) => (out += chunk));
      await new Promise((resolve) => child.on('close', resolve));
      return out;
    };
    const stock = await run();
    const undo = canfork.register();
    let registered: string;
    try {
      registered = await run();
      const sync = childProcess.spawnSync('sh', ['-c', script], foreign as unknown as childProcess.SpawnSyncOptions).stdout.toString();
      expect(sync).toBe(stock);
    } finally {
      undo();
    }
    expect(registered).toBe(stock);
    // Stock ignores processGroup: the child is in our own process group.
    const ourGroup = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[2];
    expect(stock.split(' ')[0]).toBe(ourGroup);
    // The public canfork.spawn does honour them: its child leads a group of its own.
    const own = canfork.spawn('sh', ['-c', script], { processGroup: true });
    let ownOut = '';
    own.stdout!.on('data', (chunk) => (ownOut += chunk));
    await new Promise((resolve) => own.on('close', resolve));
    expect(ownOut.split(' ')[0]).toBe(String(own.pid));
  });

  it('a stopped child with a timeout: child_process under register leaves it stopped as stock does; canfork.spawn ends it', async () => {
    const stoppedAfterTimeout = async (start: typeof childProcess.spawn): Promise<boolean> => {
      const child = start('sh', ['-c', 'kill -STOP $$; exit 3'], { timeout: 200, stdio: 'ignore' });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      const ended = await Promise.race([exited.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 1500))]);
      if (!ended) {
        process.kill(child.pid!, 'SIGKILL');
        await exited;
      }
      return !ended;
    };
    const stock = await stoppedAfterTimeout(childProcess.spawn);
    const undo = canfork.register();
    let registered: boolean;
    try {
      registered = await stoppedAfterTimeout(childProcess.spawn);
    } finally {
      undo();
    }
    expect({ stock, registered }).toEqual({ stock: true, registered: true });
    expect(await stoppedAfterTimeout(canfork.spawn as typeof childProcess.spawn)).toBe(false);
  });

  it('never takes children it did not start: a child_process child started before register() keeps its exit', async () => {
    const original = childProcess.spawn('sh', ['-c', 'sleep 0.2; exit 7']);
    const undo = canfork.register();
    try {
      const ours = childProcess.spawn('sh', ['-c', 'exit 5']);
      const [originalExit, ourExit] = await Promise.all([original, ours].map((child) =>
        new Promise((resolve) => child.on('exit', (code, signal) => resolve([code, signal])))));
      expect({ originalExit, ourExit }).toEqual({ originalExit: [7, null], ourExit: [5, null] });
    } finally {
      undo();
    }
  });
});
