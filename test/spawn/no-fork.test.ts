// Where child_process fails, spawn works. A child Node process (so this worker's memory stays sane)
// maps untouched accountable memory that merges into one VMA larger than MemTotal+SwapTotal: fork's
// dup_mmap() must charge it (security_vm_enough_memory_mm, docs/kernel-rules.md §3) and fails with ENOMEM;
// vfork+exec copies no mm and charges nothing.
import { spawn as cpSpawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { meminfoBytes, overcommitMode, vmaAt } from '../helpers/proc';

const entry = require.resolve('../../dist/index.js');

// Line 1: the mappings' addresses. Then it waits for a line on stdin (the parent checks smaps
// meanwhile), runs the spawns with the mappings still in place, and prints line 2: the outcomes.
const childSource = `
  const canfork = require(${JSON.stringify(entry)});
  const childProcess = require('node:child_process');
  const readline = require('node:readline');
  const { mapMergedPast } = require(${JSON.stringify(require.resolve('../helpers/merged-mapping.cjs'))});
  const { mappings } = mapMergedPast(canfork.mmap, Number(process.argv[1]));
  console.log(JSON.stringify(mappings.map((m) => m.address.toString())));
  readline.createInterface({ input: process.stdin }).once('line', async () => {
    const outcome = {};
    outcome.childProcessSync = childProcess.spawnSync('true').error?.code ?? 'ran';
    try { childProcess.spawn('true').on('error', () => {}); outcome.childProcessAsync = 'ran'; }
    catch (error) { outcome.childProcessAsync = error.code; }
    const sync = canfork.spawnSync('sh', ['-c', 'echo from spawnSync; exit 7'], { encoding: 'utf8' });
    outcome.spawnSync = { status: sync.status, stdout: sync.stdout, error: sync.error?.code };
    const child = canfork.spawn('sh', ['-c', 'cat; exit 5']);
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stdin.end('through spawn');
    const [code] = await new Promise((resolve) => child.on('close', (...args) => resolve(args)));
    outcome.spawn = { code, stdout };
    console.log(JSON.stringify(outcome));
    for (const mapping of mappings) mapping.unmap();
  });
`;

// Mode 1 never refuses fork; mode 2 refuses the mappings themselves. The heuristic mode 0 is the case.
const heuristicMode = overcommitMode() === 0;
if (!heuristicMode) console.warn(`skipped: vm.overcommit_memory is ${overcommitMode()}, the scenario needs 0`);

describe('where child_process fails, spawn works', () => {
  it.skipIf(!heuristicMode)('one accountable VMA > MemTotal+SwapTotal: child_process ENOMEM, spawn and spawnSync run', async () => {
    const limit = meminfoBytes('MemTotal') + meminfoBytes('SwapTotal');
    const child = cpSpawn(process.execPath, ['-e', childSource, String(limit)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    try {
      const addresses = JSON.parse((await lines.next()).value as string) as string[];
      const vma = vmaAt(BigInt(addresses[0]!), child.pid!);
      expect(vma?.flags).toContain('ac');
      expect(vma!.sizeBytes).toBeGreaterThan(limit);
      child.stdin!.write('go\n');
      const outcome = JSON.parse((await lines.next()).value as string) as Record<string, unknown>;
      expect(outcome).toEqual({
        childProcessSync: 'ENOMEM',
        childProcessAsync: 'ENOMEM',
        spawnSync: { status: 7, stdout: 'from spawnSync\n' },
        spawn: { code: 5, stdout: 'through spawn' },
      });
    } finally {
      child.kill('SIGKILL');
    }
    await once(child, 'close');
  });
});
