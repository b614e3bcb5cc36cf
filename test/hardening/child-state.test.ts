// Children get nothing they should not: fds, supplementary groups, signal state, environment.
// Each case sets the parent up as badly as it can (inherited fds without FD_CLOEXEC, extra groups,
// ignored signals, a busy environment) and then looks from inside the child.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { spawnSync } from '../../src/index';
import { requireRoot } from '../helpers/requirements';
import { jsonOf, runNode } from './run-node';

const isRoot = !requireRoot('the uid/gid drop test drops privileges').skip;

describe('file descriptors', () => {
  // The parent node gets fds 3..22 from its own parent and opens more of its own (CLOEXEC, as everything
  // Node opens). libuv closes nothing above the stdio count, so whatever is open without FD_CLOEXEC
  // reaches child_process's children: the child's table must be exactly child_process's, for each stdio
  // arrangement, and hold none of the parent's own fds.
  const source = `
    const fs = require('node:fs');
    const cp = require('node:child_process');
    const own = [fs.openSync('/proc/self/status', 'r'), fs.openSync('/dev/null', 'w')];
    const list = (text) => text.trim().split('\\n');
    const both = (stdio) => ({
      canfork: list(canfork.spawnSync('ls', ['/proc/self/fd'], { stdio, encoding: 'utf8' }).stdout),
      childProcess: list(cp.spawnSync('ls', ['/proc/self/fd'], { stdio, encoding: 'utf8' }).stdout),
    });
    const result = {
      own,
      parent: fs.readdirSync('/proc/self/fd').length,
      plain: both(undefined),
      passed: both(['ignore', 'pipe', 'ignore', 'ignore', 'ignore', 7, own[1]]),
      inherited: both(['inherit', 'pipe', 'inherit', 9]),
    };
    const child = canfork.spawn('ls', ['/proc/self/fd'], { stdio: ['ignore', 'pipe', 'ignore', 12] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('close', () => {
      result.async = { canfork: list(out), childProcess: list(cp.spawnSync('ls', ['/proc/self/fd'], { stdio: ['ignore', 'pipe', 'ignore', 12], encoding: 'utf8' }).stdout) };
      console.log(JSON.stringify(result));
    });
  `;

  it('a child has child_process\'s fd table (ls /proc/self/fd) with 20 inherited and 2 own fds in the parent', () => {
    const run = runNode(source, { spawn: { stdio: ['pipe', 'pipe', 'pipe', ...Array<'pipe'>(20).fill('pipe')] } });
    type Pair = { canfork: string[]; childProcess: string[] };
    const result = jsonOf(run) as { own: number[]; parent: number } & Record<'plain' | 'passed' | 'inherited' | 'async', Pair>;
    expect(result.parent).toBeGreaterThanOrEqual(25);
    for (const key of ['plain', 'passed', 'inherited', 'async'] as const) {
      expect(result[key].canfork, key).toEqual(result[key].childProcess);
      // The parent's own fds are CLOEXEC: gone in the child unless passed (own[1] is passed as fd 6).
      expect(result[key].canfork, key).not.toContain(String(result.own[0]));
    }
    expect(result.passed.canfork).toEqual(expect.arrayContaining(['0', '1', '2', '5', '6']));
  });

  it('the same table from 4 worker threads spawning at once while the main thread opens and closes files', () => {
    const run = runNode(`
      const { Worker } = require('node:worker_threads');
      const fs = require('node:fs');
      const source = \`
        const canfork = require(\${JSON.stringify(${JSON.stringify(require.resolve('../../dist/index.js'))})});
        const tables = new Set();
        for (let i = 0; i < 40; i++) tables.add(canfork.spawnSync('ls', ['/proc/self/fd'], { encoding: 'utf8' }).stdout.trim().replace(/\\\\n/g, ' '));
        require('node:worker_threads').parentPort.postMessage([...tables]);
      \`;
      const reference = require('node:child_process').spawnSync('ls', ['/proc/self/fd'], { encoding: 'utf8' }).stdout.trim().replace(/\\n/g, ' ');
      const churn = setInterval(() => { for (let i = 0; i < 50; i++) fs.closeSync(fs.openSync('/proc/self/stat', 'r')); }, 0);
      Promise.all([0, 1, 2, 3].map(() => new Promise((resolve, reject) => {
        const worker = new Worker(source, { eval: true });
        worker.once('message', resolve);
        worker.once('error', reject);
      }))).then((tables) => { clearInterval(churn); console.log(JSON.stringify({ reference, tables })); });
    `, { spawn: { stdio: ['pipe', 'pipe', 'pipe', ...Array<'pipe'>(10).fill('pipe')] } });
    const { reference, tables } = jsonOf(run) as { reference: string; tables: string[][] };
    expect(reference.split(' ')).toEqual(expect.arrayContaining(['0', '1', '2', '3']));
    expect(tables).toEqual([[reference], [reference], [reference], [reference]]);
  });
});

describe.skipIf(!isRoot)('uid/gid drop', () => {
  // setpriv gives the parent node supplementary groups 4, 24 and 27 while it stays root.
  const source = `
    const groups = (options) => canfork.spawnSync('sh', ['-c', 'id -u; id -g; grep ^Groups: /proc/self/status | sed "s/[[:space:]]*$//"'], { ...options, encoding: 'utf8' }).stdout;
    console.log(JSON.stringify({
      parent: require('node:fs').readFileSync('/proc/self/status', 'utf8').match(/^Groups:.*$/m)[0].trimEnd(),
      kept: groups({}),
      both: groups({ uid: 65534, gid: 65534 }),
      uidOnly: groups({ uid: 65534 }),
      gidOnly: groups({ gid: 65534 }),
    }));
  `;

  it('after a uid and/or gid drop the child has no supplementary groups; without one it keeps ours', () => {
    const run = runNode(source, { launcher: ['setpriv', '--groups=4,24,27', '--'] });
    expect(jsonOf(run)).toEqual({
      parent: 'Groups:\t4 24 27',
      kept: '0\n0\nGroups:\t4 24 27\n',
      both: '65534\n65534\nGroups:\n',
      uidOnly: '65534\n0\nGroups:\n',
      gidOnly: '0\n65534\nGroups:\n',
    });
  });
});

describe('signal state', () => {
  // Node resets signals 1-31 and unblocks everything at startup, but real-time signals the launcher
  // ignored stay ignored; Node itself ignores SIGPIPE and SIGXFSZ and here catches five more. The
  // mask cannot be set from JavaScript: spawn blocks every signal itself around the clone, so the
  // child's empty SigBlk shows that the child restores it. libuv's child resets signals 1-31 and leaves
  // an ignored real-time signal ignored: canfork's children, sync and async, must show child_process's.
  const launcher = ['python3', '-c', `
import os, signal, sys
for signum in (signal.SIGRTMIN + 3, signal.SIGRTMIN + 5, signal.SIGRTMAX): signal.signal(signum, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGTERM, signal.SIGRTMIN + 4})
os.execv(sys.argv[1], sys.argv[1:])
`];
  const source = `
    const fs = require('node:fs');
    const cp = require('node:child_process');
    for (const name of ['SIGUSR1', 'SIGUSR2', 'SIGHUP', 'SIGTERM', 'SIGWINCH']) process.on(name, () => {});
    const lines = (text) => text.split('\\n').filter((line) => /^Sig(Blk|Ign|Cgt):/.test(line));
    const child = canfork.spawnSync('cat', ['/proc/self/status'], { encoding: 'utf8' });
    const childAsync = canfork.spawn('cat', ['/proc/self/status'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    childAsync.stdout.on('data', (chunk) => (out += chunk));
    childAsync.on('close', () => console.log(JSON.stringify({
      parent: lines(fs.readFileSync('/proc/self/status', 'utf8')),
      sync: lines(child.stdout),
      async: lines(out),
      childProcess: lines(cp.spawnSync('cat', ['/proc/self/status'], { encoding: 'utf8' }).stdout),
    })));
  `;

  it("the child's SigBlk, SigIgn and SigCgt are child_process's, though the parent ignores and catches signals", () => {
    const launched = runNode(source, { launcher });
    const result = jsonOf(launched) as { parent: string[]; sync: string[]; async: string[]; childProcess: string[] };
    // The setup did what it says: SIGPIPE, SIGXFSZ and the three real-time signals ignored, five caught.
    const ignored = BigInt(`0x${result.parent[1]!.split('\t')[1]}`);
    expect(ignored & (1n << 12n)).not.toBe(0n);
    expect(ignored >> 32n).not.toBe(0n);
    expect(BigInt(`0x${result.parent[2]!.split('\t')[1]}`)).not.toBe(0n);
    // What libuv's child leaves: nothing blocked or caught, the real-time signals the parent ignores.
    expect(result.childProcess).toEqual([
      'SigBlk:\t0000000000000000', `SigIgn:\t${(ignored >> 31n << 31n).toString(16).padStart(16, '0')}`, 'SigCgt:\t0000000000000000',
    ]);
    expect(result.sync).toEqual(result.childProcess);
    expect(result.async).toEqual(result.childProcess);
  });
});

describe('environment', () => {
  function environOf(env: NodeJS.ProcessEnv): string[] {
    const result = spawnSync('/bin/cat', ['/proc/self/environ'], { env, encoding: 'utf8' });
    expect(result.status).toBe(0);
    return (result.stdout as string).split('\0').slice(0, -1);
  }

  it('is exactly what was given: no PATH, HOME or LD_* added, nothing of ours leaks, values byte for byte', () => {
    process.env.CANFORK_HARDENING_CANARY = 'must-not-leak';
    try {
      const given = {
        A: '1', EMPTY: '', SPACES: ' a b ', EQUALS: 'x=y=z', NEWLINE: 'one\ntwo', UNICODE: 'ü✓ 𝄞', 'lower.dotted-key': 'v',
        UNSET: undefined,
      };
      expect(environOf(given).sort()).toEqual([
        'A=1', 'EMPTY=', 'EQUALS=x=y=z', 'NEWLINE=one\ntwo', 'SPACES= a b ', 'UNICODE=ü✓ 𝄞', 'lower.dotted-key=v',
      ].sort());
      expect(environOf({})).toEqual([]);
    } finally {
      delete process.env.CANFORK_HARDENING_CANARY;
    }
  });

  it('defaults to process.env exactly, as it is at the call', () => {
    process.env.CANFORK_HARDENING_CANARY = 'present';
    try {
      const expected = Object.entries(process.env).map(([key, value]) => `${key}=${value}`).sort();
      expect(environOf(process.env).sort()).toEqual(expected);
      const result = spawnSync('/bin/cat', ['/proc/self/environ'], { encoding: 'utf8' });
      expect((result.stdout as string).split('\0').slice(0, -1).sort()).toEqual(expected);
    } finally {
      delete process.env.CANFORK_HARDENING_CANARY;
    }
  });

  it('the parent environment (this process) is unchanged by spawning', () => {
    const before = readFileSync('/proc/self/environ', 'utf8');
    const envBefore = { ...process.env };
    spawnSync('/bin/true', [], { env: { ONLY: 'this' } });
    expect(readFileSync('/proc/self/environ', 'utf8')).toBe(before);
    expect(process.env).toEqual(envBefore);
  });
});
