// The point of register: a process whose fork fails (one accountable VMA larger than MemTotal+SwapTotal, which
// dup_mmap() must charge in overcommit mode 0) still starts processes through every door a program and its
// dependencies use: execa (an ESM dependency importing node:child_process), exec with a shell, fork with IPC,
// execSync. Without register the same calls fail with ENOMEM, in the same test.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { meminfoBytes, overcommitMode } from '../helpers/proc';
import { cleanEnv, registerModule } from './register-path';

const hasGit = spawnSync('git', ['--version']).status === 0;
if (!hasGit) console.log('skipped: git is not installed (Debian package git)');
// Mode 1 never refuses fork; mode 2 refuses the mapping itself. The heuristic mode 0 is the case.
const heuristicMode = overcommitMode() === 0;
if (!heuristicMode) console.log(`skipped: vm.overcommit_memory is ${overcommitMode()}, the scenario needs 0`);

const script = join(__dirname, 'big-process.cjs');
const distEntry = require.resolve('../../dist/index.js');

interface BigProcessReport {
  vma: { bytes: number; flags: string[] } | null;
  results: Record<string, unknown>;
}

function runBigProcess(nodeArgs: string[], limitBytes: number): BigProcessReport {
  const run = spawnSync(process.execPath, [...nodeArgs, script, String(limitBytes)], {
    encoding: 'utf8', env: cleanEnv({ CANFORK_DIST_ENTRY: distEntry }), timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`big process exited ${run.status} ${run.signal}:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as BigProcessReport;
}

describe('a process that cannot fork, under canfork/register', () => {
  it.skipIf(!hasGit || !heuristicMode)('execa, exec, fork with IPC and execSync run; without register each fails with ENOMEM', () => {
    const limit = meminfoBytes('MemTotal') + meminfoBytes('SwapTotal');
    const gitVersion = spawnSync('git', ['--version'], { encoding: 'utf8' }).stdout.split(' ').slice(0, 2).join(' ');

    const stock = runBigProcess([], limit);
    expect(stock.vma!.bytes).toBeGreaterThan(limit);
    expect(stock.vma!.flags).toContain('ac');
    expect(stock.results).toEqual({
      execa: { error: 'ENOMEM' }, exec: { error: 'ENOMEM' }, fork: { error: 'ENOMEM' }, execSync: { error: 'ENOMEM' },
    });

    const registered = runBigProcess(['--require', registerModule()], limit);
    expect(registered.vma!.bytes).toBeGreaterThan(limit);
    expect(registered.vma!.flags).toContain('ac');
    expect(registered.results).toEqual({
      execa: { stdout: gitVersion },
      exec: { stdout: `${process.env.HOME}\n` },
      fork: { message: { pong: 7 }, code: 0 },
      execSync: { stdout: '' },
    });
  });
});
