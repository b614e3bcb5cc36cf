// Two builds of canfork side by side in one process: `node bench/spawn-ab.mjs <other checkout> [spawns]`.
// A change worth a few µs per spawn is lost between separate runs on a machine whose speed drifts by more
// than that within minutes; here each spawn of this checkout's build takes turns with one of the other's
// (the order flipped every round), so a drift reaches both alike. Both builds load into this process (each
// addon instance has its own state). The other checkout must be built (npm ci && npm run build there), e.g.
//   git worktree add /tmp/base HEAD~1 && (cd /tmp/base && npm ci && npm run build)
//   node bench/spawn-ab.mjs /tmp/base 2500
// Times /bin/true, stdio ignored, from the call to its exit: canfork's spawn (to 'exit') with this process's
// environment and with options.env (this environment plus one variable, what a caller setting one variable
// passes), and canfork's spawnSync; for the two spawn cases also the spawn() call alone, the time the event loop is
// blocked. And canFork() of this process, which takes turns with the spawns the same way. Prints one JSON object: per
// build and case the median and mean in µs and the sample count.
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { warmUpSpawns } from './lib/warm-up.mjs';

const require = createRequire(import.meta.url);
const [otherRoot, spawnsArgument] = process.argv.slice(2);
if (otherRoot === undefined) {
  process.stderr.write('usage: node bench/spawn-ab.mjs <other checkout, built> [spawns]\n');
  process.exit(2);
}
const spawns = Number(spawnsArgument ?? 2500);
const builds = {
  this: require(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js')),
  other: require(path.resolve(otherRoot, 'dist', 'index.js')),
};
// How long the last spawn() call itself took (the event loop blocked), in µs.
let callMicroseconds;
function spawnToExit(canfork, options) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = canfork.spawn('/bin/true', [], options);
    callMicroseconds = Number(process.hrtime.bigint() - start) / 1000;
    child.on('exit', resolve).on('error', reject);
  });
}

// Each case runs one /bin/true to its exit through a build; options are made afresh per spawn, as a caller would.
const cases = {
  inherited: (canfork) => spawnToExit(canfork, { stdio: 'ignore' }),
  env: (canfork) => spawnToExit(canfork, { stdio: 'ignore', env: { ...process.env, CANFORK_BENCH: '1' } }),
  sync: (canfork) => {
    const result = canfork.spawnSync('/bin/true', [], { stdio: 'ignore' });
    if (result.status !== 0) throw result.error ?? new Error(`spawnSync: status ${result.status}`);
  },
  canFork: (canfork) => {
    if (canfork.canFork().pid !== process.pid) throw new Error('canFork() answered for another process');
  },
};

const samples = {};
const callSamples = {};
for (const build of Object.keys(builds)) for (const name of Object.keys(cases)) samples[`${build}, ${name}`] = [];
// The first rounds warm both builds up (V8 compiles the hot paths meanwhile) and are not kept: each round spawns
// each build's spawn twice, so half of bench/lib/warm-up.mjs's count.
const warmUpRounds = warmUpSpawns / 2;
for (let round = -warmUpRounds; round < spawns; round++) {
  const order = round % 2 === 0 ? ['this', 'other'] : ['other', 'this'];
  for (const [name, run] of Object.entries(cases)) {
    for (const build of order) {
      const start = process.hrtime.bigint();
      callMicroseconds = undefined;
      await run(builds[build]);
      if (round < 0) continue;
      samples[`${build}, ${name}`].push(Number(process.hrtime.bigint() - start) / 1000);
      if (callMicroseconds !== undefined) (callSamples[`${build}, ${name}`] ??= []).push(callMicroseconds);
    }
  }
}
const median = (list) => [...list].sort((a, b) => a - b)[list.length >> 1];
const mean = (list) => list.reduce((sum, value) => sum + value, 0) / list.length;
const summary = (lists) => Object.fromEntries(Object.entries(lists).map(([key, list]) => [key, {
  median: Number(median(list).toFixed(1)), mean: Number(mean(list).toFixed(1)), n: list.length,
}]));
process.stdout.write(`${JSON.stringify({
  other: path.resolve(otherRoot),
  // spawn to exit for the spawn cases; the call to its return for canFork.
  microseconds: summary(samples),
  spawnCallMicroseconds: summary(callSamples),
}, null, 2)}\n`);
