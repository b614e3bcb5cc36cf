// Real processes for the CLI's end-to-end tests, and a runner for the built command (dist/cli/main.js).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Holder } from '../canfork/holder';
import { meminfoBytes, vmaAt } from '../helpers/proc';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const cliPath = path.join(repoRoot, 'dist', 'cli', 'main.js');

/** /proc/PID/comm: `node` on Node 20, `MainThread` on Node 24, which names its main thread. */
export function commOf(pid: number): string {
  return readFileSync(`/proc/${pid}/comm`, 'utf8').trimEnd();
}

/** Runs the built `canfork` with `args`; NO_COLOR unless `env` says otherwise. */
export function runCanfork(args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [cliPath, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
    maxBuffer: 64 * 2 ** 20,
  });
}

export interface StuckChild {
  pid: number;
  /** The merged VMA as /proc/PID/smaps shows it. */
  vma: { start: bigint; sizeBytes: number; flags: string[] };
  /** Stops the holder process and waits for its exit. */
  stop(): Promise<void>;
}

const CHUNK_BYTES = 512 * 2 ** 20;

/**
 * Starts a node process holding one merged accountable mapping larger than RAM + swap, so that in
 * overcommit mode 0 its fork fails with ENOMEM. It is the canFork tests' holder, which grows the
 * mapping chunk by chunk under a placeholder so that the kernel merges them; another thread's mmap can
 * still land in between, so up to three holders are tried and smaps must show the merged VMA.
 */
export async function startStuckChild(): Promise<StuckChild> {
  const limit = meminfoBytes('MemTotal') + meminfoBytes('SwapTotal');
  const chunks = Math.floor(limit / CHUNK_BYTES) + 1;
  let seen = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const holder = await Holder.start();
    try {
      let start = 0n;
      for (let chunk = 0; chunk < chunks; chunk++) start = (await holder.grow(CHUNK_BYTES, (chunks + 1) * CHUNK_BYTES)).address;
      const vma = vmaAt(start, holder.pid);
      if (vma && vma.sizeBytes > limit) return { pid: holder.pid, vma: { start, ...vma }, stop: () => holder.stop() };
      seen += ` attempt ${attempt}: VMA at ${start.toString(16)} is ${vma?.sizeBytes} bytes;`;
    } catch (error) {
      await holder.stop();
      throw error;
    }
    await holder.stop();
  }
  throw new Error(`the kernel did not merge the mappings past RAM + swap (${limit} bytes):${seen}`);
}
