// Overcommit mode 2 for a few milliseconds, restored in `finally`: a process holding 65 % of the free
// commit room cannot fork (dup_mmap charges its mapping again, over CommitLimit), yet canfork's
// spawn and spawnSync, which charge nothing, run programs.
import { spawn as cpSpawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { GiB, MiB, meminfoBytes } from '../helpers/proc';
import { allOf, requireSystemTests, requireWritableSysctl } from '../helpers/requirements';

const modePath = '/proc/sys/vm/overcommit_memory';
const gate = allOf(requireSystemTests('switches vm.overcommit_memory to 2'), requireWritableSysctl(modePath));
const entry = require.resolve('../../dist/index.js');

// Maps `bytes` (in mode 0), says "ready", then on each line from stdin tries child_process and canfork.
const childSource = `
  const canfork = require(${JSON.stringify(entry)});
  const childProcess = require('node:child_process');
  const mapping = canfork.mmap(Number(process.argv[1]));
  console.log('ready');
  require('node:readline').createInterface({ input: process.stdin }).once('line', () => {
    const outcome = { childProcess: childProcess.spawnSync('true').error?.code ?? 'ran' };
    const sync = canfork.spawnSync('sh', ['-c', 'echo vforked; exit 3'], { encoding: 'utf8' });
    outcome.spawnSync = [sync.status, sync.stdout, sync.error?.code];
    canfork.spawn('sh', ['-c', 'exit 4'], { stdio: 'ignore' }).on('exit', (code) => {
      outcome.spawn = code;
      console.log(JSON.stringify(outcome));
      mapping.unmap();
    });
  });
`;

describe.skipIf(gate.skip)('spawn in overcommit mode 2', () => {
  it('child_process fails with ENOMEM, canfork spawn and spawnSync run', async () => {
    const room = meminfoBytes('CommitLimit') - meminfoBytes('Committed_AS');
    if (room < 2 * GiB) {
      console.log(`skipping: only ${Math.round(room / MiB)} MiB of commit room (other processes hold the rest)`);
      return;
    }
    const bytes = Math.floor((room * 0.65) / (2 * MiB)) * 2 * MiB;
    const child = cpSpawn(process.execPath, ['-e', childSource, String(bytes)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    try {
      expect((await lines.next()).value).toBe('ready');
      const saved = readFileSync(modePath, 'utf8').trim();
      let answer: string;
      try {
        writeFileSync(modePath, '2');
        child.stdin!.write('go\n');
        answer = (await lines.next()).value as string;
      } finally {
        writeFileSync(modePath, saved);
      }
      expect(JSON.parse(answer)).toEqual({ childProcess: 'ENOMEM', spawnSync: [3, 'vforked\n', null], spawn: 4 });
    } finally {
      child.kill('SIGKILL');
    }
    await once(child, 'close');
  });
});
