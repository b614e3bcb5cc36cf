// Children get nothing they should not: fds, supplementary groups, signal state, environment.
// Each case sets the parent up as badly as it can (inherited fds without FD_CLOEXEC, extra groups,
// ignored signals, a busy environment) and then looks from inside the child.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { spawnSync } from '../../src/index';
import { jsonOf, runNode } from './run-node';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping the uid/gid drop test: it needs root');

describe('file descriptors', () => {
  // The parent node gets fds 3..22 from its own parent without FD_CLOEXEC (libuv dup2s them into
  // place), and opens more of its own: every one must be missing in the child except those passed.
  const source = `
    const fs = require('node:fs');
    const own = [fs.openSync('/proc/self/status', 'r'), fs.openSync('/dev/null', 'w')];
    const ls = (options) => canfork.spawnSync('ls', ['/proc/self/fd'], { ...options, encoding: 'utf8' }).stdout.trim().split('\\n');
    const result = {
      parent: fs.readdirSync('/proc/self/fd').length,
      plain: ls({}),
      passed: ls({ stdio: ['ignore', 'pipe', 'ignore', 'ignore', 'ignore', 7, own[1]] }),
      inherited: ls({ stdio: ['inherit', 'pipe', 'inherit', 9] }),
    };
    const child = canfork.spawn('ls', ['/proc/self/fd'], { stdio: ['ignore', 'pipe', 'ignore', 12] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('close', () => {
      result.async = out.trim().split('\\n');
      console.log(JSON.stringify(result));
    });
  `;

  it('a child sees 0, 1, 2 and what was passed, nothing of the 20 inherited and 2 own fds of the parent (ls /proc/self/fd)', () => {
    const run = runNode(source, { spawn: { stdio: ['pipe', 'pipe', 'pipe', ...Array<'pipe'>(20).fill('pipe')] } });
    // ls lists its own open directory too: the lowest free fd, 3 unless 3 was passed.
    expect(jsonOf(run)).toEqual({
      parent: expect.any(Number),
      plain: ['0', '1', '2', '3'],
      passed: ['0', '1', '2', '3', '5', '6'],
      inherited: ['0', '1', '2', '3', '4'],
      async: ['0', '1', '2', '3', '4'],
    });
    expect((jsonOf(run) as { parent: number }).parent).toBeGreaterThanOrEqual(25);
  });

  it('the same from 4 worker threads spawning at once while the main thread opens and closes files', () => {
    const run = runNode(`
      const { Worker } = require('node:worker_threads');
      const fs = require('node:fs');
      const source = \`
        const canfork = require(\${JSON.stringify(${JSON.stringify(require.resolve('../../dist/index.js'))})});
        const tables = new Set();
        for (let i = 0; i < 40; i++) tables.add(canfork.spawnSync('ls', ['/proc/self/fd'], { encoding: 'utf8' }).stdout.trim().replace(/\\\\n/g, ' '));
        require('node:worker_threads').parentPort.postMessage([...tables]);
      \`;
      const churn = setInterval(() => { for (let i = 0; i < 50; i++) fs.closeSync(fs.openSync('/proc/self/stat', 'r')); }, 0);
      Promise.all([0, 1, 2, 3].map(() => new Promise((resolve, reject) => {
        const worker = new Worker(source, { eval: true });
        worker.once('message', resolve);
        worker.once('error', reject);
      }))).then((tables) => { clearInterval(churn); console.log(JSON.stringify(tables)); });
    `, { spawn: { stdio: ['pipe', 'pipe', 'pipe', ...Array<'pipe'>(10).fill('pipe')] } });
    expect(jsonOf(run)).toEqual([['0 1 2 3'], ['0 1 2 3'], ['0 1 2 3'], ['0 1 2 3']]);
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
  // child's empty SigBlk shows that the child restores it.
  const launcher = ['python3', '-c', `
import os, signal, sys
for signum in (signal.SIGRTMIN + 3, signal.SIGRTMIN + 5, signal.SIGRTMAX): signal.signal(signum, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGTERM, signal.SIGRTMIN + 4})
os.execv(sys.argv[1], sys.argv[1:])
`];
  const source = `
    const fs = require('node:fs');
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
    })));
  `;

  it('SigBlk, SigIgn and SigCgt are all zero in the child, though the parent ignores and catches signals', () => {
    const launched = runNode(source, { launcher });
    const result = jsonOf(launched) as { parent: string[]; sync: string[]; async: string[] };
    // The setup did what it says: SIGPIPE, SIGXFSZ and the three real-time signals ignored, five caught.
    const ignored = BigInt(`0x${result.parent[1]!.split('\t')[1]}`);
    expect(ignored & (1n << 12n)).not.toBe(0n);
    expect(ignored >> 32n).not.toBe(0n);
    expect(BigInt(`0x${result.parent[2]!.split('\t')[1]}`)).not.toBe(0n);
    const clean = ['SigBlk:\t0000000000000000', 'SigIgn:\t0000000000000000', 'SigCgt:\t0000000000000000'];
    expect(result.sync).toEqual(clean);
    expect(result.async).toEqual(clean);
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
