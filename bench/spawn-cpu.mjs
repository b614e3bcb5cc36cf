// How long the spawning thread runs per spawn, with no tracer attached: `node bench/spawn-cpu.mjs [spawns] [rounds]`.
// perf (bench/spawn-sched.mjs) splits a spawn into turns but slows every switch it records; this reads only
// what the kernel keeps anyway. Each loop of bench/lib/spawn-loops.cjs (canfork's spawn awaited by events.once and
// by an 'exit' listener, register, the addon alone, Bun) spawns /bin/true one after another in a process of its own,
// and reads its JavaScript thread's /proc/thread-self/schedstat (time on a CPU, time runnable but waiting for one)
// before and after, with the whole process's user and system time (process.cpuUsage) and the wall time
// (bench/lib/spawn-loop.cjs). Each loop warms up first (bench/lib/warm-up.mjs warmUpSpawns). The loops take turns for `rounds` rounds,
// each round starting with the next one. Prints one JSON object: per loop, µs per spawn, the median of the rounds
// and each round's figure.
// The thread's on-CPU time counts what the kernel does for it too (the clone, the exit's wake-up); otherThreads,
// the process's user and system time minus it, is what its other threads ran (V8's garbage collection and
// compiler helpers).
import { execFileSync } from 'node:child_process';
import { modulePath, runInTurns, spawnLoops } from './lib/spawn-loops.cjs';
import { summarize } from './lib/stats.cjs';
import { warmUpSpawns } from './lib/warm-up.mjs';

const spawns = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 3);
const loopSettings = JSON.stringify({ warmUp: warmUpSpawns, spawns });

// Each loop's script: bench/lib/spawn-loop.cjs timing its spawnToExit, the figures on stdout.
const perRound = runInTurns(spawnLoops(), `const { timeSpawnLoop } = require(${modulePath('bench', 'lib', 'spawn-loop.cjs')});
process.stdout.write(JSON.stringify(await timeSpawnLoop(spawnToExit, ${loopSettings})));`, rounds,
(runtime, script) => JSON.parse(execFileSync(runtime, [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })));
const names = Object.keys(perRound);
const results = { spawns, rounds, microsecondsPerSpawn: {} };
for (const name of names) {
  const figures = Object.keys(perRound[name][0]);
  results.microsecondsPerSpawn[name] = Object.fromEntries(figures.map((figure) => {
    const values = perRound[name].map((round) => round[figure]);
    return [figure, { median: summarize(values).median, rounds: values }];
  }));
}
// One line per figure: { "median": m, "rounds": [a, b, c] }.
const text = JSON.stringify(results, null, 2).replace(/\{\n\s+"median": ([^,]+),\n\s+"rounds": \[([^\]]*)\]\n\s+\}/g,
  (_, value, list) => `{ "median": ${value}, "rounds": [${list.trim().split(/,\s*/).join(', ')}] }`);
process.stdout.write(`${text}\n`);
