// Where the time of one canfork spawn goes, piece by piece: `node bench/spawn-profile.mjs [rounds]`.
// CPU time of this process (user + system, process.cpuUsage) per call, in batches that take turns, median of
// the rounds: a machine busy with other processes disturbs CPU time much less than wall time. The pieces are
// the steps spawn() runs, called one by one through dist/ (npm run build:ts first):
//   environment pairs: process.env → ['KEY=value', ...] (what Node's normalizeSpawnArguments builds)
//   normalize: all of canfork's normalizeSpawnArguments, the pairs included
//   plan: stdio plan and native plan from Node's spawn options (strings copied for the addon)
//   native spawn: the addon's spawn() of /bin/true (plan read, clone, the parent's share until exec) + waitpid
//   native spawn, empty environment: the same with no variables (what reading them costs the addon)
//   native spawn, inherited environment: envp null, environ handed to the child (what spawn() does on the
//     main thread without options.env)
//   spawn → exit: canfork spawn() of /bin/true to its 'exit' event, everything included
//   child_process spawn → exit: the same through node:child_process
// Also the bytes each call allocates on the JS heap (the garbage a spawn leaves for V8 to collect): the growth of
// V8's new space over 300 calls, after a full collection, in a Node of its own whose new space is large enough
// (--min/--max-semi-space-size) that no collection runs meanwhile.
// Prints one JSON object; cpuMicroseconds per call, jsHeapBytes per call.
import * as childProcess from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as v8 from 'node:v8';
import { warmUpSpawns } from './lib/warm-up.mjs';

const require = createRequire(import.meta.url);
const canfork = require('../dist/index.js');
const { native } = require('../dist/binding.js');
const { copyEnvironment, normalizeSpawnArguments } = require('../dist/spawn/normalize.js');
const { trueSpawnPlan } = require('./lib/true-plan.cjs');

const allocationMode = process.argv[2] === '--allocation';
const rounds = allocationMode ? 0 : Number(process.argv[2] ?? 15);
// The explicit copy Node builds: envPairsOf(undefined) on the main thread is only a marker for "inherited",
// which left "environment pairs" timing nothing and "native spawn" passing no pairs.
const pairs = copyEnvironment(undefined);

const slots = new Int32Array(4);  // the pidfd, then the parent ends of the three (ignored) stdio fds
function nativeSpawnAndReap(envPairs) {
  const pid = native.spawn(trueSpawnPlan(envPairs), slots);
  if (pid < 0) throw new Error(`native spawn failed: ${pid}`);
  native.waitpid(pid, false);
  for (const fd of slots) if (fd >= 0) require('node:fs').closeSync(fd);
}

const pieces = {
  'environment pairs': { batch: 200, run: () => copyEnvironment(undefined) },
  normalize: { batch: 200, run: () => normalizeSpawnArguments('/bin/true', [], { stdio: 'ignore' }) },
  plan: { batch: 200, run: () => trueSpawnPlan(pairs) },
  'native spawn': { batch: 10, run: () => nativeSpawnAndReap(pairs) },
  'native spawn, empty environment': { batch: 10, run: () => nativeSpawnAndReap([]) },
  'native spawn, inherited environment': { batch: 10, run: () => nativeSpawnAndReap(null) },
  'spawn → exit': { batch: 10, run: () => once(canfork.spawn('/bin/true', [], { stdio: 'ignore' }), 'exit') },
  'child_process spawn → exit': { batch: 10, run: () => once(childProcess.spawn('/bin/true', [], { stdio: 'ignore' }), 'exit') },
};

async function cpuPerCall(piece) {
  const start = process.cpuUsage();
  for (let i = 0; i < piece.batch; i++) await piece.run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / piece.batch;
}

const newSpaceUsed = () => v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_used_size;

// In the --allocation process: bytes allocated per call, or null when a collection ran anyway (new space shrank).
async function heapBytesPerCall(piece) {
  const calls = 300;
  for (let i = 0; i < warmUpSpawns; i++) await piece.run(); // warm-up, as below
  globalThis.gc();
  const before = newSpaceUsed();
  for (let i = 0; i < calls; i++) await piece.run();
  const after = newSpaceUsed();
  return after < before ? null : Math.round((after - before) / calls);
}

if (allocationMode) {
  const bytes = {};
  for (const [name, piece] of Object.entries(pieces)) bytes[name] = await heapBytesPerCall(piece);
  process.stdout.write(JSON.stringify(bytes));
  process.exit(0);
}

const jsHeapBytes = JSON.parse(childProcess.execFileSync(process.execPath, [
  '--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64', fileURLToPath(import.meta.url), '--allocation',
], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));

// Warm-up: bench/lib/warm-up.mjs's count of calls of each piece.
for (const piece of Object.values(pieces)) for (let i = 0; i < warmUpSpawns; i++) await piece.run();
const samples = Object.fromEntries(Object.keys(pieces).map((name) => [name, []]));
for (let round = 0; round < rounds; round++) {
  for (const [name, piece] of Object.entries(pieces)) samples[name].push(await cpuPerCall(piece));
}
const median = (list) => [...list].sort((a, b) => a - b)[list.length >> 1];
process.stdout.write(`${JSON.stringify({
  environmentVariables: pairs.length,
  rounds,
  cpuMicroseconds: Object.fromEntries(Object.entries(samples).map(([name, list]) => [name, Number(median(list).toFixed(1))])),
  jsHeapBytes,
}, null, 2)}\n`);
