// The warm-up every spawner gets before it is timed, in Node (bench/worker.mjs) and in Bun and Deno
// (bench/peer.mjs) alike. A spawner written in JavaScript runs in the engine's interpreter first and reaches
// its optimised code only after many calls: canfork's spawn in Node took about 2000 spawns to settle here
// (the spawning thread's CPU time per spawn fell from 145 µs over the first 250 to 62 from the 2250th on).
// So each spawner runs `spawns` times, or for `ms`, whichever ends first, before its timed rounds; those
// rounds then time the code a long-lived process runs. The first spawns are kept apart as the "cold" figure.
import { performance } from 'node:perf_hooks';

/** The first few spawns of a process load the program and the dynamic loader into the page cache: never timed. */
const untimed = 3;

/**
 * Runs `spawnToExit` (async or sync) `spawns` times or for `ms`, whichever ends first. Returns the spawn-to-exit
 * times in ms of spawns untimed + 1 .. untimed + coldSpawns: the spawner before its engine has warmed up.
 */
export async function warmUp(spawnToExit, { spawns, ms, coldSpawns }) {
  const cold = [];
  const begin = performance.now();
  for (let i = 0; i < untimed + spawns && performance.now() - begin < ms; i++) {
    const start = performance.now();
    await spawnToExit();
    if (i >= untimed && cold.length < coldSpawns) cold.push(performance.now() - start);
  }
  return cold;
}

/** No warm-up beyond the untimed spawns: for measurements that only compare spawns of one spawner. */
export const untimedOnly = { spawns: 0, ms: Infinity, coldSpawns: 0 };
