// Proof that a process under `canfork/register` never forks: strace (no -f: only the traced process's own
// syscalls, i.e. the thread that runs JavaScript) records every clone/clone3/fork/vfork while a script calls
// spawn, exec, execFile, fork, spawnSync, execSync and execFileSync. A process creation is any of them without
// CLONE_THREAD; fork-free means vfork, or clone with CLONE_VM|CLONE_VFORK (the parent's mm is shared, so nothing
// is copied or charged). The same script without register must show fork-like clones, so the check can fail.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, registerModule } from './register-path';

const hasStrace = spawnSync('strace', ['-V']).status === 0;
if (!hasStrace) console.log('skipped: strace is not installed (Debian package strace)');

const script = join(__dirname, 'seven-calls.cjs');

interface Creation {
  syscall: string;
  flags: string[];
  result: number;
}

/** Process creations in strace's output: clone/clone3 without CLONE_THREAD, fork, vfork. */
export function processCreations(trace: string): Creation[] {
  const creations: Creation[] = [];
  for (const line of trace.split('\n')) {
    const call = /^(clone3|clone|vfork|fork)\((.*)\)\s+=\s+(-?\d+)/.exec(line);
    if (!call) continue;
    const flags = /flags=([A-Z0-9_|]+)/.exec(call[2]!)?.[1]?.split('|') ?? [];
    if (flags.includes('CLONE_THREAD')) continue;
    creations.push({ syscall: call[1]!, flags, result: Number(call[3]) });
  }
  return creations;
}

const isForkFree = (creation: Creation) =>
  creation.syscall === 'vfork' || (creation.flags.includes('CLONE_VFORK') && creation.flags.includes('CLONE_VM'));

function traceSevenCalls(nodeArgs: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'canfork-strace-'));
  try {
    const out = join(dir, 'trace');
    const run = spawnSync('strace', ['-o', out, '-e', 'trace=clone,clone3,fork,vfork', process.execPath, ...nodeArgs, script], {
      encoding: 'utf8', env: cleanEnv(), timeout: 60_000,
    });
    if (run.status !== 0) throw new Error(`traced script exited ${run.status} ${run.signal}:\n${run.stdout}\n${run.stderr}`);
    const outcome = JSON.parse(run.stdout.trim().split('\n').pop()!) as { pids: number[]; results: Record<string, unknown> };
    return { outcome, creations: processCreations(readFileSync(out, 'utf8')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const expectedResults = {
  spawn: { code: 3 },
  exec: { stdout: `${process.env.HOME}\n` },
  execFile: { stdout: 'execFile\n' },
  fork: { message: { pong: 42 }, code: 0 },
  spawnSync: { status: 4, stdout: 'spawnSync\n' },
  execSync: { stdout: 'execSync\n' },
  execFileSync: { stdout: 'execFileSync\n' },
};

describe.skipIf(!hasStrace)('fork-free under canfork/register (strace)', () => {
  it('the seven child_process functions create processes only with CLONE_VM|CLONE_VFORK; stock Node forks', () => {
    const stock = traceSevenCalls([]);
    expect(stock.outcome.results).toEqual(expectedResults);
    const stockForks = stock.creations.filter((creation) => !isForkFree(creation));
    // Every child stock Node started came from a fork-like clone the trace saw: the detector sees forks.
    expect(stockForks.length).toBeGreaterThanOrEqual(7);
    expect(stockForks.map((creation) => creation.result)).toEqual(expect.arrayContaining(stock.outcome.pids));

    const registered = traceSevenCalls(['--require', registerModule()]);
    expect(registered.outcome.results).toEqual(expectedResults);
    expect(registered.creations.filter((creation) => !isForkFree(creation))).toEqual([]);
    expect(registered.creations.length).toBeGreaterThanOrEqual(7);
    // The children the script reports are among the vfork-style creations of the traced thread.
    expect(registered.creations.map((creation) => creation.result)).toEqual(expect.arrayContaining(registered.outcome.pids));
  });
});
