// One measurement in a fresh process, so memory states do not leak from one level into the next.
//   node bench/worker.mjs '{"kind":"rss","rssBytes":N,"spawnBudgetMs":N,"rounds":N,"microTimeMs":N,"forkCheck":true,
//                            "warmUp":{"spawns":N,"ms":N,"coldSpawns":N}}'
//   node bench/worker.mjs '{"kind":"vmas","addedMappings":N,"microTimeMs":N}'
//   node bench/worker.mjs '{"kind":"calls","microTimeMs":N}'
//   node --expose-gc bench/worker.mjs '{"kind":"memory","children":N}'
//   node bench/worker.mjs '{"kind":"cgroup","spawnBudgetMs":N,"rounds":N}'
// With "register":true an rss worker loads canfork/register first and times only child_process.spawn
// through it (in its own process: register changes child_process for the whole process).
// Prints one JSON object on stdout; progress goes to stderr. Times are in ms unless a name says ns. Spawn
// and throughput figures are the raw samples: bench/run.mjs pools them over the passes of a level.
import * as childProcess from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { setTimeout as delay } from 'node:timers/promises';
import { Bench, hrtimeNow } from 'tinybench';
import { addUnmergedMappings, GiB, residentBytes, touchResident, vmaCount } from './lib/memory.cjs';
import { largestAccountableFromSmaps, readMaps } from './lib/procfs-methods.cjs';
import { summarize } from './lib/stats.cjs';
import { untimedOnly, warmUp } from './lib/warm-up.mjs';

const require = createRequire(import.meta.url);
const canfork = require('../dist/index.js');
const request = JSON.parse(process.argv[2] ?? '{}');
// canfork/register (package.json "exports"): loaded only when asked, before anything is timed.
if (request.register) require('../dist/register-require.js');
/**
 * Which canfork entry points can be measured: exported by dist/index.js and working. While issues #3
 * and #4 land, dist/ may export a stub or a function whose native half is not built yet; those get
 * null figures and a note with the reason instead of failing the harness.
 */
async function probeEntryPoints() {
  const reasons = {};
  const probe = async (name, check) => {
    if (typeof canfork[name] !== 'function') {
      reasons[name] = 'not exported by dist/index.js';
      return;
    }
    try {
      await check();
    } catch (error) {
      reasons[name] = `${error?.message ?? error}`.split('\n')[0];
    }
  };
  await probe('spawn', () => Promise.race([
    exitOf(canfork.spawn('/bin/true', [], { stdio: 'ignore' })),
    // Unreferenced, so the pending timeout does not keep the worker alive for 5 s after the probe.
    delay(5000, undefined, { ref: false }).then(() => { throw new Error('no exit event within 5 s'); }),
  ]));
  await probe('spawnSync', spawnSyncTrue);
  await probe('canFork', () => {
    // canFork() was exported as a stub before its model landed; measuring that would flatter it.
    const report = canfork.canFork();
    if (report.warnings.some((warning) => /not implemented/i.test(warning.message))) throw new Error('placeholder canFork()');
  });
  return reasons;
}

const unavailable = await probeEntryPoints();
const has = (name) => !(name in unavailable);

// monitorEventLoopDelay samples with a 1 ms timer and records whole timer intervals, so an idle loop
// shows about 1 ms: the stall is the longest interval minus that resolution.
const loopDelayResolutionMs = 1;

function log(message) {
  process.stderr.write(`  [worker ${process.pid}] ${message}\n`);
}

function msSince(startNs) {
  return Number(process.hrtime.bigint() - startNs) / 1e6;
}

/**
 * One round of one async spawner: /bin/true one spawn after another until `budgetMs` is spent (at least
 * `minRuns`). Nothing else runs on the loop meanwhile, as in the peers' own loops (bench/peer.mjs): the
 * stall histogram's 1 ms timer wakes the loop about twice per spawn here and added 0.2 ms to each.
 * `start` returns the child.
 */
async function latencyRound(start, budgetMs, minRuns, into) {
  const roundStart = process.hrtime.bigint();
  for (let runs = 0; runs < minRuns || msSince(roundStart) < budgetMs; runs++) {
    const spawnStart = process.hrtime.bigint();
    const child = start();
    into.callMs.push(msSince(spawnStart));
    await exitOf(child);
    into.latencyMs.push(msSince(spawnStart));
  }
}

/** `body` under an event-loop delay histogram: the longest stall it saw, pushed to `into.stallMs`. */
async function stallRound(body, into) {
  const histogram = monitorEventLoopDelay({ resolution: loopDelayResolutionMs });
  histogram.enable();
  // The histogram records nothing at its first tick (no previous tick to measure from): let it tick
  // before spawning, or a round of one or two slow spawns would show no stall at all.
  await delay(5 * loopDelayResolutionMs);
  await body();
  // One more timer tick, so a stall at the end of the round is recorded too.
  await delay(2 * loopDelayResolutionMs);
  histogram.disable();
  into.stallMs.push(Math.max(0, histogram.max / 1e6 - loopDelayResolutionMs));
}

/** Rejects on the child's 'error' (events.once does), as the peers' exit promises do on a failed spawn. */
async function exitOf(child) {
  const [code, signal] = await once(child, 'exit');
  if (code !== 0) throw new Error(`/bin/true ended with code ${code}, signal ${signal}`);
}

/**
 * The control for the stall figures: the same histogram over a stretch with no spawn at all, the loop
 * only sleeping on 1 ms timers. What it sees is the machine (other processes holding the cores).
 */
function idleRound(budgetMs, into) {
  return stallRound(async () => {
    const roundStart = process.hrtime.bigint();
    while (msSince(roundStart) < budgetMs) await delay(1);
  }, into);
}

function spawnSyncTrue() {
  const result = canfork.spawnSync('/bin/true', [], { stdio: 'ignore' });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`/bin/true ended with status ${result.status}`);
}

function syncSpawnRound(budgetMs, minRuns, into) {
  const roundStart = process.hrtime.bigint();
  for (let runs = 0; runs < minRuns || msSince(roundStart) < budgetMs; runs++) {
    const spawnStart = process.hrtime.bigint();
    spawnSyncTrue();
    into.latencyMs.push(msSince(spawnStart));
  }
}

/** The async spawners this worker times: canfork/register's child_process.spawn alone in a register worker. */
function asyncSpawners() {
  const viaChildProcess = () => childProcess.spawn('/bin/true', [], { stdio: 'ignore' });
  if (request.register) return { register: viaChildProcess };
  const spawners = { childProcess: viaChildProcess };
  if (has('spawn')) spawners.canfork = () => canfork.spawn('/bin/true', [], { stdio: 'ignore' });
  return spawners;
}

/**
 * Times every spawner given, `rounds` rounds of each, interleaved (child_process, canfork spawn,
 * canfork spawnSync, then again), so that a burst of load from other users of a shared machine hits
 * all of them alike instead of whichever happened to run then. Each gets `budgetMs` in all. Returns the samples.
 */
async function timeSpawners(spawners, withSync, budgetMs, rounds, warmUpSettings, minRuns = 5) {
  const samples = {};
  for (const [name, start] of Object.entries(spawners)) {
    samples[name] = { latencyMs: [], callMs: [], stallMs: [], warmUp: await warmUp(() => exitOf(start()), warmUpSettings) };
  }
  if (withSync) samples.canforkSync = { latencyMs: [], warmUp: await warmUp(spawnSyncTrue, warmUpSettings) };
  samples.idle = { stallMs: [] };
  const runsPerRound = Math.ceil(minRuns / rounds);
  for (let round = 0; round < rounds; round++) {
    // The stall is watched in rounds of its own, as long as the idle round that is its control.
    const stallBudgetMs = Math.min(budgetMs / rounds, 300);
    await idleRound(stallBudgetMs, samples.idle);
    for (const [name, start] of Object.entries(spawners)) {
      await latencyRound(start, budgetMs / rounds, runsPerRound, samples[name]);
      await stallRound(() => latencyRound(start, stallBudgetMs, 1, { callMs: [], latencyMs: [] }), samples[name]);
    }
    if (samples.canforkSync) syncSpawnRound(budgetMs / rounds, runsPerRound, samples.canforkSync);
  }
  return samples;
}

/** `inFlight` spawn-to-exit chains at once for `durationMs`: completed spawns per second. */
async function throughput(start, inFlight, durationMs) {
  let completed = 0;
  const begin = process.hrtime.bigint();
  const chain = async () => {
    while (msSince(begin) < durationMs) {
      await exitOf(start());
      completed++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, chain));
  return completed / (msSince(begin) / 1000);
}

/** Spawns per second with `inFlight` at once, `rounds` rounds per spawner taking turns: one sample per round. */
async function timeThroughput(spawners, inFlight, durationMs, rounds) {
  const perSecond = Object.fromEntries(Object.keys(spawners).map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, start] of Object.entries(spawners)) perSecond[name].push(await throughput(start, inFlight, durationMs / rounds));
  }
  return perSecond;
}

/**
 * tinybench over `tasks` (name -> [fn, callsPerSample]); returns name -> summary of one call's time
 * in ms, or `{ error }` when the task threw.
 */
async function microBench(tasks, timeMs) {
  const bench = new Bench({ time: timeMs, iterations: 5, warmupTime: Math.min(100, timeMs / 4), warmupIterations: 3, now: hrtimeNow });
  for (const [name, [fn]] of Object.entries(tasks)) bench.add(name, fn);
  await bench.warmup();
  await bench.run();
  const results = {};
  for (const task of bench.tasks) {
    const callsPerSample = tasks[task.name][1];
    if (task.result?.error) {
      results[task.name] = { error: String(task.result.error?.stack ?? task.result.error) };
    } else {
      results[task.name] = summarize(task.result.samples.map((ms) => ms / callsPerSample));
    }
  }
  return results;
}

function forkCheckTasks() {
  const tasks = {
    smaps: [largestAccountableFromSmaps, 1],
    maps: [readMaps, 1],
  };
  if (has('canFork')) tasks.canFork = [() => canfork.canFork(), 1];
  return tasks;
}

async function measureAtRss({ rssBytes, spawnBudgetMs, rounds, microTimeMs, inFlight, throughputMs, warmUp: warmUpSettings = untimedOnly, forkCheck = true }) {
  log(`touching ${(rssBytes / GiB).toFixed(0)} GiB`);
  const held = touchResident(rssBytes);
  const result = { rssBytes, residentBytes: residentBytes(), vmas: vmaCount(), unavailable };
  const spawners = asyncSpawners();
  const withSync = has('spawnSync') && !request.register;
  log(`spawning: ${Object.keys(spawners).join(', ')}${withSync ? ', canforkSync' : ''}`);
  Object.assign(result, await timeSpawners(spawners, withSync, spawnBudgetMs, rounds, warmUpSettings));
  log(`throughput, ${inFlight} in flight`);
  result.throughputPerSecond = await timeThroughput(spawners, inFlight, throughputMs, rounds);
  // The fork check is timed in one pass of a level only (tinybench summaries do not pool).
  if (!request.register && forkCheck) {
    log('canFork / smaps / maps');
    result.forkCheck = await microBench(forkCheckTasks(), microTimeMs);
  }
  result.residentBytesAfter = residentBytes();
  held.length = 0;
  return result;
}

async function measureAtVmaCount({ addedMappings, microTimeMs }) {
  const held = addUnmergedMappings(canfork.mmap, addedMappings);
  const result = { rssBytes: 0, residentBytes: residentBytes(), addedMappings, vmas: vmaCount(), unavailable };
  log(`${addedMappings} mappings added, ${result.vmas} VMAs`);
  result.forkCheck = await microBench(forkCheckTasks(), microTimeMs);
  for (const mapping of held) mapping.unmap();
  return result;
}

async function measureCalls({ microTimeMs }) {
  const { getrlimit, tryAllocate, mmap } = canfork;
  const batch = { getrlimit: 1000, tryAllocate: 100, mmapUnmap: 100 };
  const perCallMs = await microBench({
    getrlimit: [() => { for (let i = 0; i < batch.getrlimit; i++) getrlimit('nofile'); }, batch.getrlimit],
    tryAllocate: [() => {
      for (let i = 0; i < batch.tryAllocate; i++) {
        if (!tryAllocate(GiB).ok) throw new Error('tryAllocate(1 GiB) refused');
      }
    }, batch.tryAllocate],
    mmapUnmap: [() => { for (let i = 0; i < batch.mmapUnmap; i++) mmap(GiB).unmap(); }, batch.mmapUnmap],
  }, microTimeMs);
  return { perCallMs };
}

/** Resolves once `child` has emitted 'spawn'; rejects on 'error' (events.once does). */
function spawned(child) {
  return once(child, 'spawn');
}

function collectGarbage() {
  for (let i = 0; i < 3; i++) globalThis.gc();
}

/**
 * Memory per live child: `children` sleeping children started by one spawner with one stdio setting,
 * all alive at once; the growth of the JS heap in use (after full GCs) and of the memory outside the
 * V8 heap (RSS minus the heap's resident pages: the addon's and libuv's allocations, stream buffers),
 * divided by their number.
 */
async function measureMemory({ spawner, stdio, children }) {
  if (typeof globalThis.gc !== 'function') throw new Error('run the memory worker with --expose-gc');
  const starters = {
    childProcess: () => childProcess.spawn('/bin/sleep', ['60'], { stdio }),
    register: () => childProcess.spawn('/bin/sleep', ['60'], { stdio }),
    canfork: () => canfork.spawn('/bin/sleep', ['60'], { stdio }),
  };
  const start = starters[spawner];
  // Warm-up: the first spawn loads code, JIT-compiles it and grows the heap once; that is not per child.
  for (let i = 0; i < 5; i++) {
    const child = start();
    await spawned(child);
    child.kill('SIGKILL');
    await once(child, 'close');
  }
  await delay(20);
  collectGarbage();
  const usage = () => ({ ...process.memoryUsage(), outsideHeap: process.memoryUsage().rss - getHeapStatistics().total_physical_size });
  const before = usage();
  const live = [];
  for (let i = 0; i < children; i++) live.push(start());
  await Promise.all(live.map(spawned));
  collectGarbage();
  const after = usage();
  const closed = live.map((child) => once(child, 'close'));
  for (const child of live) child.kill('SIGKILL');
  await Promise.all(closed);
  const perChild = (key) => (after[key] - before[key]) / children;
  return { spawner, stdio, children, heapUsedBytes: perChild('heapUsed'), outsideHeapBytes: perChild('outsideHeap'), rssBytes: perChild('rss') };
}

/** Whether canfork's spawn puts the child into a cgroup of its own with `cgroup: true` (a later option). */
async function cgroupOptionReason() {
  if (!has('spawn')) return unavailable.spawn;
  let child;
  try {
    child = canfork.spawn('/bin/sleep', ['5'], { stdio: 'ignore', cgroup: true });
    await spawned(child);
    const theirs = readFileSync(`/proc/${child.pid}/cgroup`, 'utf8');
    return theirs === readFileSync('/proc/self/cgroup', 'utf8') ? 'spawn() has no cgroup option yet' : null;
  } catch (error) {
    return `spawn(..., { cgroup: true }): ${`${error?.message ?? error}`.split('\n')[0]}`;
  } finally {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
  }
}

/** The cost of `cgroup: true` per spawn: canfork spawn with and without it, taking turns, at this RSS. */
async function measureCgroup({ spawnBudgetMs, rounds }) {
  const reason = await cgroupOptionReason();
  if (reason !== null) return { unavailable: { 'spawn cgroup: true': reason } };
  const spawners = {
    canfork: () => canfork.spawn('/bin/true', [], { stdio: 'ignore' }),
    canforkCgroup: () => canfork.spawn('/bin/true', [], { stdio: 'ignore', cgroup: true }),
  };
  return { unavailable: {}, ...(await timeSpawners(spawners, false, spawnBudgetMs, rounds, untimedOnly)) };
}

const measurements = { rss: measureAtRss, vmas: measureAtVmaCount, calls: measureCalls, memory: measureMemory, cgroup: measureCgroup };
const measure = measurements[request.kind];
if (!measure) throw new Error(`unknown kind ${request.kind}`);
const result = await measure(request);
process.stdout.write(`${JSON.stringify(result)}\n`);
