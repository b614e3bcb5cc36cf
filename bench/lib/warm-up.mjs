// The warm-up every spawner gets before it is timed, in Node (bench/worker.mjs) and in Bun and Deno
// (bench/peer.mjs) alike. A spawner written in JavaScript runs in the engine's interpreter first and reaches
// its optimised code only after many calls, so each spawner runs `spawns` times, or for `ms`, whichever ends
// first, before its timed rounds; those rounds then time the code a long-lived process runs. The warm-up itself is
// reported: its first spawns as the "cold" figures, and how the process's CPU time per spawn falls batch by batch
// (the README's "The first spawns of a process" shows both).
import { performance } from 'node:perf_hooks';
import process from 'node:process';

/**
 * Spawns before a spawner is timed, in every script that times settled code (run, spawn-cpu, spawn-sched,
 * spawn-profile, spawn-ab). The README's "How each spawner settled" (npm run bench) shows, batch by batch, that
 * the spawners' CPU time per spawn has stopped falling by then.
 */
export const warmUpSpawns = 2500;

/** The first few spawns of a process load the program and the dynamic loader into the page cache: never timed. */
export const untimedSpawns = 3;

/**
 * Runs `spawnToExit` (async or sync) `spawns` times or for `ms`, whichever ends first, after untimedSpawns. Returns
 * coldMs, the spawn-to-exit times in ms of the first `coldSpawns`; and settlingCpuUs, the process's CPU time
 * (user + system, every thread: the engine's compilers and collector too) per spawn over each whole batch of
 * `coldSpawns`.
 */
export async function warmUp(spawnToExit, { spawns, ms, coldSpawns }) {
  for (let i = 0; i < untimedSpawns; i++) await spawnToExit();
  const coldMs = [];
  const settlingCpuUs = [];
  const begin = performance.now();
  let batchCpu = process.cpuUsage();
  for (let done = 0; done < spawns && performance.now() - begin < ms;) {
    const start = performance.now();
    await spawnToExit();
    if (coldMs.length < coldSpawns) coldMs.push(performance.now() - start);
    if (++done % coldSpawns === 0) {
      const used = process.cpuUsage(batchCpu);
      settlingCpuUs.push((used.user + used.system) / coldSpawns);
      batchCpu = process.cpuUsage();
    }
  }
  return { coldMs, settlingCpuUs };
}

/** No warm-up beyond the untimed spawns: for measurements that only compare spawns of one spawner. */
export const untimedOnly = { spawns: 0, ms: Infinity, coldSpawns: 0 };
