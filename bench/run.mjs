// The benchmark harness: `npm run bench` (full, about 20 minutes on 2 cores) or `npm run bench -- --quick` (CI).
// Each measurement runs in a fresh process (bench/worker.mjs, the C floor bench/baseline.c, or a peer
// runtime running bench/peer.mjs) so that one RSS level cannot disturb the next. It fails only when the
// harness breaks, never on a number. Bun and Deno are installed from the npm registry into a cache
// directory on first use (never as dependencies of this package); --quick skips them unless --peers.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { describeMachine, watchMachineLoad } from './lib/machine.cjs';
import { availableBytes, GiB } from './lib/memory.cjs';
import { peerBinary, peerPackages, peersDirectory } from './lib/peers.cjs';
import { markdownReport } from './lib/report.cjs';
import { sourceVersion } from './lib/source-version.cjs';
import { ratio, round, roundSummary, summarize } from './lib/stats.cjs';
import { canForkChart, spawnChart } from './lib/charts.cjs';
import { untimedSpawns, warmUpSpawns } from './lib/warm-up.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.join(benchDir, 'results');
const quick = process.argv.includes('--quick');
const withPeers = (!quick || process.argv.includes('--peers')) && process.env.CANFORK_BENCH_PEERS !== '0';

const settings = quick
  ? { rssLevels: [0, 1], vmaLevels: [100, 1000, 10000], passes: 2, spawnBudgetMs: 400, rounds: 4, microTimeMs: 250, cSpawns: 60, cRounds: 7,
    inFlight: 8, throughputMs: 300, memoryChildren: 50, warmUp: { spawns: 300, ms: 300, coldSpawns: 100 } }
  : { rssLevels: [0, 1, 4, 8], vmaLevels: [100, 1000, 10000], passes: 3, spawnBudgetMs: 3000, rounds: 6, microTimeMs: 1000, cSpawns: 3600, cRounds: 21,
    inFlight: 8, throughputMs: 2000, memoryChildren: 200, warmUp: { spawns: warmUpSpawns, ms: 2500, coldSpawns: 250 } };
// warmUp: before its timed rounds, each spawner of each process spawns that many times or for that long, whichever
// ends first (bench/lib/warm-up.mjs); the first coldSpawns
// of them are the "cold" figures.
// cSpawns: about as many as each Node spawner gets in its budget, so that the C floor's median and p99 carry the
// same weight as theirs (with 300, its p99 was its third slowest spawn).
// canfork/register's require entry (package.json "exports"): measured once it is built.
const registerBuilt = existsSync(path.join(benchDir, '..', 'dist', 'register-require.js'));
// How long one measuring process may take: writing 8 GiB page by page takes seconds on a quiet machine and
// minutes on one whose cores are busy with other work; a timeout only means the harness itself hangs.
const workerTimeoutMs = 20 * 60_000;
// Headroom left for the other users of a shared machine when an RSS level is held.
const spareBytes = 3 * GiB;

function log(message) {
  process.stderr.write(`[bench ${Math.round(process.uptime())}s] ${message}\n`);
}

/** Compiles bench/baseline.c with the system cc into bench/bin/ when the binary is missing or stale. */
function compileBaseline() {
  const source = path.join(benchDir, 'baseline.c');
  const binary = path.join(benchDir, 'bin', 'baseline');
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return binary;
  mkdirSync(path.dirname(binary), { recursive: true });
  log(`cc ${path.relative(process.cwd(), source)}`);
  execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-o', binary, source], { stdio: 'inherit' });
  return binary;
}

/** Runs a program to completion and parses the JSON object on its stdout; rejects on failure or timeout. */
function runJson(file, args, timeoutMs, env = process.env) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => { stdout += chunk; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`${path.basename(file)} ${args.join(' ')} ended with code ${code}, signal ${signal}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout));
      } catch (error) {
        reject(new Error(`${path.basename(file)} printed no JSON: ${error.message}\n${stdout.slice(0, 500)}`));
      }
    });
  });
}

const runWorker = (request, nodeFlags = []) =>
  runJson(process.execPath, [...nodeFlags, path.join(benchDir, 'worker.mjs'), JSON.stringify(request)], workerTimeoutMs);

function installedVersion(directory, spec) {
  const name = spec.slice(0, spec.lastIndexOf('@'));
  try {
    return JSON.parse(readFileSync(path.join(directory, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

/**
 * The peer runtimes' binaries, installed from the npm registry on first use: { bun: {file, version}, deno: ... },
 * each null with a note when it cannot be had ($CANFORK_BENCH_BUN / $CANFORK_BENCH_DENO name a binary to use instead).
 */
function preparePeers(results) {
  const peers = { bun: null, deno: null };
  if (!withPeers) {
    results.notes.push('Bun and Deno not run (quick mode; `--peers` runs them)');
    return peers;
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    results.notes.push(`Bun and Deno not run: the pinned registry packages are for linux-x64, this is ${process.platform}-${process.arch}`);
    return peers;
  }
  const directory = peersDirectory();
  const missing = Object.entries(peerPackages)
    .filter(([, pkg]) => !process.env[pkg.env] && installedVersion(directory, pkg.spec) !== pkg.spec.slice(pkg.spec.lastIndexOf('@') + 1))
    .map(([, pkg]) => pkg.spec);
  if (missing.length > 0) {
    log(`npm install --prefix ${directory} ${missing.join(' ')}`);
    try {
      mkdirSync(directory, { recursive: true });
      execFileSync('npm', ['install', '--prefix', directory, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--ignore-scripts', ...missing],
        { stdio: ['ignore', process.stderr, process.stderr], timeout: 600_000 });
    } catch (error) {
      results.notes.push(`Bun and Deno not run: npm install of ${missing.join(', ')} failed (${`${error.message}`.split('\n')[0]})`);
      return peers;
    }
  }
  for (const name of Object.keys(peerPackages)) {
    const file = peerBinary(name);
    try {
      const version = execFileSync(file, ['--version'], { encoding: 'utf8', timeout: 60_000 }).split('\n')[0].replace(/^deno /, '').trim().split(' ')[0];
      peers[name] = { file, version };
    } catch (error) {
      results.notes.push(`${name} not run: ${file} --version failed (${`${error.message}`.split('\n')[0]})`);
    }
  }
  return peers;
}

/** One peer at one RSS level, one pass: bench/peer.mjs under Bun or Deno, in its own process. */
function runPeer(name, peer, rssBytes, pass) {
  const request = JSON.stringify({ rssBytes, budgetMs: pass.spawnBudgetMs, rounds: pass.rounds, inFlight: settings.inFlight, throughputMs: pass.throughputMs,
    warmUp: settings.warmUp });
  const script = path.join(benchDir, 'peer.mjs');
  if (name === 'bun') return runJson(peer.file, [script, request], workerTimeoutMs);
  // -A: the script reads /proc/self/status and runs /bin/true; nothing else. No config or lock file of this repo.
  return runJson(peer.file, ['run', '-A', '--no-config', '--no-lock', script, request], workerTimeoutMs,
    { ...process.env, DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' });
}

/** Median of every figure in the shape issue #6 names, with min, max and n kept under `stats`. */
function figures(summaries) {
  const row = {};
  const stats = {};
  for (const [key, summary] of Object.entries(summaries)) {
    row[key] = round(summary?.median ?? null);
    stats[key] = roundSummary(summary ?? null);
  }
  return { row, stats };
}

function checkResident(what, requestedBytes, residentBytes) {
  // The RSS setup is part of the harness: if memory is not really resident, the figures mean nothing.
  if (residentBytes < requestedBytes * 0.95) {
    throw new Error(`${what}: asked for ${requestedBytes} resident bytes, VmRSS shows ${residentBytes}`);
  }
}

function forkCheckFigures(forkCheck) {
  for (const [name, result] of Object.entries(forkCheck)) {
    if (result?.error) throw new Error(`${name} threw in the benchmark:\n${result.error}`);
  }
  return figures({ canForkMs: forkCheck.canFork, smapsMs: forkCheck.smaps, mapsMs: forkCheck.maps });
}

const nsToMs = (list) => list?.map((nsValue) => nsValue / 1e6);

/**
 * The spawners of a level: [the process that times it, the field of that process's result holding its samples,
 * { latencyMs, warmUp (bench/lib/warm-up.mjs), and for the async ones callMs }].
 */
const spawners = {
  childProcess: ['worker', 'childProcess'], canfork: ['worker', 'canfork'], register: ['register', 'register'],
  canforkSync: ['worker', 'canforkSync'], bun: ['bun', 'spawn'], bunSync: ['bun', 'spawnSync'], deno: ['deno', 'spawn'],
  denoSync: ['deno', 'spawnSync'],
};

/** A source per spawner, keyed `${spawner}${suffix}`: [its process, `pick` of its samples]. */
function perSpawner(suffix, pick) {
  return Object.fromEntries(Object.entries(spawners).map(([name, [owner, field]]) => [`${name}${suffix}`, [owner, (run) => pick(run[field])]]));
}

/**
 * Where each spawn figure of a level comes from: [the process that measures it, its samples in one pass's
 * result]. Times in ms; throughput in spawns per second, one sample per round.
 */
const spawnSources = {
  ...perSpawner('Ms', (samples) => samples?.latencyMs),
  posixSpawnMs: ['c', (run) => nsToMs(run.samplesNs)],
  childProcessStallMs: ['worker', (run) => run.childProcess?.stallMs],
  canforkStallMs: ['worker', (run) => run.canfork?.stallMs],
  idleStallMs: ['worker', (run) => run.idle?.stallMs],
  // The first spawns of each process, before its warm-up's end: childProcessColdMs, canforkColdMs, ...
  ...perSpawner('ColdMs', (samples) => samples?.warmUp?.coldMs),
};
const callSources = {
  childProcessCallMs: ['worker', (run) => run.childProcess?.callMs],
  canforkCallMs: ['worker', (run) => run.canfork?.callMs],
  registerCallMs: ['register', (run) => run.register?.callMs],
  bunCallMs: ['bun', (run) => run.spawn.callMs],
  denoCallMs: ['deno', (run) => run.spawn.callMs],
  // The floor for the block: how long glibc's posix_spawn (itself a CLONE_VFORK) blocked its caller.
  posixSpawnBlockedMs: ['c', (run) => nsToMs(run.blockedNs)],
  childProcessPerSecond: ['worker', (run) => run.throughputPerSecond?.childProcess],
  canforkPerSecond: ['worker', (run) => run.throughputPerSecond?.canfork],
  registerPerSecond: ['register', (run) => run.throughputPerSecond?.register],
  bunPerSecond: ['bun', (run) => run.throughputPerSecond],
  denoPerSecond: ['deno', (run) => run.throughputPerSecond],
};
/** The goals of issue #16 that are also judged pass by pass: [canfork's figure, the one it is held against]. */
const passComparisons = {
  canforkVsBun: ['canforkMs', 'bunMs'],
  registerVsBun: ['registerMs', 'bunMs'],
  spawnSyncVsBunSync: ['canforkSyncMs', 'bunSyncMs'],
  callVsPosixSpawn: ['canforkCallMs', 'posixSpawnBlockedMs'],
  throughputVsBun: ['canforkPerSecond', 'bunPerSecond'],
};

async function measureRssLevel(rssBytes, baseline, peers, results) {
  const levelGiB = rssBytes / GiB;
  if (availableBytes() < rssBytes + spareBytes) {
    results.notes.push(`${levelGiB} GiB level skipped: only ${(availableBytes() / GiB).toFixed(1)} GiB available`);
    log(results.notes.at(-1));
    return;
  }
  // Every process of the level runs once per pass, each with its share of the budget, and each pass starts
  // one process later: drift of a shared machine over minutes then reaches every runtime alike, and the
  // passes, compared with each other, show how far a ratio moves with it.
  const { passes } = settings;
  const pass = { spawnBudgetMs: settings.spawnBudgetMs / passes, rounds: Math.ceil(settings.rounds / passes), throughputMs: settings.throughputMs / passes };
  const request = { kind: 'rss', rssBytes, ...pass, microTimeMs: settings.microTimeMs, inFlight: settings.inFlight, warmUp: settings.warmUp };
  const processes = [
    ['c', 'C posix_spawn baseline', () => runJson(baseline, ['spawn', String(rssBytes), String(Math.ceil(settings.cSpawns / passes))], workerTimeoutMs)],
    ['worker', 'node worker (child_process, canfork spawn/spawnSync, throughput, canFork, smaps, maps)', (index) => runWorker({ ...request, forkCheck: index === 0 })],
    ...(registerBuilt ? [['register', 'node worker with canfork/register (child_process.spawn, throughput)', () => runWorker({ ...request, register: true })]] : []),
    ...Object.entries(peers).filter(([, peer]) => peer)
      .map(([name, peer]) => [name, `${name} ${peer.version} (its own spawn, sync spawn, throughput)`, () => runPeer(name, peer, rssBytes, pass)]),
  ];
  const runs = Object.fromEntries(processes.map(([name]) => [name, []]));
  for (let index = 0; index < passes; index++) {
    for (let turn = 0; turn < processes.length; turn++) {
      const [name, what, run] = processes[(index + turn) % processes.length];
      log(`RSS ${levelGiB} GiB, pass ${index + 1}/${passes}: ${what}`);
      const result = await run(index);
      checkResident(`${name} at ${levelGiB} GiB`, rssBytes, result.residentBytes);
      // and still resident once the spawns are done (a runtime's GC may free what its code no longer reads)
      if (result.residentBytesAfter !== undefined) checkResident(`${name} at ${levelGiB} GiB, after its spawns`, rssBytes, result.residentBytesAfter);
      runs[name].push(result);
    }
  }
  // A figure's samples from one pass, or from all of them pooled; null where that process did not measure it.
  const samples = ([name, pick], index) => {
    const lists = (runs[name] ?? []).filter((_, i) => index === undefined || i === index).map(pick).filter(Array.isArray);
    return lists.length ? lists.flat() : null;
  };
  const pooled = (sources) => Object.fromEntries(Object.entries(sources).map(([key, source]) => [key, summarize(samples(source))]));
  const spawnFigures = figures(pooled(spawnSources));
  const callStats = figures(pooled(callSources)).stats;
  const sources = { ...spawnSources, ...callSources };
  const passRatios = Object.fromEntries(Object.entries(passComparisons).map(([key, [ours, theirs]]) => [key,
    Array.from({ length: passes }, (_, index) => round(ratio(summarize(samples(sources[ours], index))?.median, summarize(samples(sources[theirs], index))?.median)))]));
  // How each spawner settled: its CPU time per spawn over each batch of the warm-up, the median of the passes.
  const settlingCpuUs = Object.fromEntries(Object.entries(spawners).map(([name, [owner, field]]) => {
    const passLists = (runs[owner] ?? []).map((run) => run[field]?.warmUp?.settlingCpuUs).filter(Array.isArray);
    const batches = Math.max(0, ...passLists.map((list) => list.length));
    return [name, Array.from({ length: batches }, (_, batch) => round(summarize(passLists.map((list) => list[batch]).filter((v) => v !== undefined))?.median ?? null))];
  }).filter(([, list]) => list.length > 0));
  const [worker] = runs.worker;
  results.spawn.push({ rssBytes, residentBytes: worker.residentBytes, ...spawnFigures.row, passRatios, settlingCpuUs,
    stats: { ...spawnFigures.stats, ...callStats } });
  const fork = forkCheckFigures(worker.forkCheck);
  results.canFork.push({ rssBytes, vmas: worker.vmas, ...fork.row, stats: fork.stats });
  recordMissing(results, worker.unavailable);
}

/** Memory per live child, each spawner and stdio setting in a fresh process. */
async function measureMemory(results) {
  const spawners = ['childProcess', 'canfork', ...(registerBuilt ? ['register'] : [])];
  for (const stdio of ['pipe', 'ignore']) {
    for (const spawner of spawners) {
      log(`memory per live child: ${spawner}, stdio '${stdio}', ${settings.memoryChildren} children`);
      const request = { kind: 'memory', spawner, stdio, children: settings.memoryChildren, register: spawner === 'register' };
      results.memory.push(await runWorker(request, ['--expose-gc']));
    }
  }
}

/**
 * The cost of `cgroup: true` per spawn, when spawn() has that option. It creates and removes cgroups on the
 * machine, so it runs under the machine lock (flock) where flock(1) exists.
 */
async function measureCgroupCost(results) {
  const request = JSON.stringify({ kind: 'cgroup', spawnBudgetMs: settings.spawnBudgetMs, rounds: settings.rounds });
  const workerArgs = [path.join(benchDir, 'worker.mjs'), request];
  let flock;
  try {
    flock = execFileSync('sh', ['-c', 'command -v flock'], { encoding: 'utf8' }).trim() || null;
  } catch {
    flock = null;
  }
  log(`cgroup: true cost per spawn${flock ? ' (under flock /tmp/canfork-host.lock)' : ''}`);
  let worker;
  try {
    worker = flock
      ? await runJson(flock, ['-w', '120', '/tmp/canfork-host.lock', process.execPath, ...workerArgs], 300_000)
      : await runJson(process.execPath, workerArgs, 300_000);
  } catch (error) {
    results.notes.push(`cgroup: true not measured: ${`${error.message}`.split('\n')[0]}`);
    return;
  }
  recordMissing(results, worker.unavailable);
  if (!worker.canforkCgroup) return;
  const { row, stats } = figures({ canforkMs: summarize(worker.canfork.latencyMs), canforkCgroupMs: summarize(worker.canforkCgroup.latencyMs),
    canforkCallMs: summarize(worker.canfork.callMs), canforkCgroupCallMs: summarize(worker.canforkCgroup.callMs) });
  results.cgroup = { rssBytes: 0, ...row, costMs: round(row.canforkCgroupMs - row.canforkMs), stats };
}

/** The CLI's scan cost per /proc entry (CPU, one full scan of the machine per sample). */
async function measureCliScan(results) {
  log('the CLI scan: CPU per /proc entry');
  try {
    const worker = await runJson(process.execPath, [path.join(benchDir, 'cli-scan.mjs'), String(quick ? 5 : 30)], 300_000);
    results.cliScan = { entries: worker.entries, perEntryUs: roundSummary(summarize(worker.perEntryUs)) };
  } catch (error) {
    results.notes.push(`CLI scan not measured: ${`${error.message}`.split('\n')[0]}`);
  }
}

async function measureVmaLevel(addedMappings, results) {
  log(`${addedMappings} extra mappings: canFork, smaps, maps`);
  const worker = await runWorker({ kind: 'vmas', addedMappings, microTimeMs: settings.microTimeMs });
  if (worker.vmas < addedMappings) throw new Error(`${addedMappings} mappings merged: only ${worker.vmas} VMAs`);
  const fork = forkCheckFigures(worker.forkCheck);
  results.canFork.push({ rssBytes: 0, vmas: worker.vmas, addedMappings, ...fork.row, stats: fork.stats });
  recordMissing(results, worker.unavailable);
}

async function measureCalls(baseline, results) {
  log('call overhead: canfork (tinybench) and the C loop');
  const worker = await runWorker({ kind: 'calls', microTimeMs: settings.microTimeMs });
  const c = await runJson(baseline, ['calls', String(settings.cRounds)], 120_000);
  const toNs = (summary) => summary && { median: summary.median * 1e6, min: summary.min * 1e6, max: summary.max * 1e6, n: summary.n };
  const cMmap = summarize(c.mmapUnmapNs);
  for (const [name, js, cSummary] of [
    ['getrlimit', worker.perCallMs.getrlimit, summarize(c.getrlimitNs)],
    ['tryAllocate(1 GiB)', worker.perCallMs.tryAllocate, cMmap],
    ['mmap+unmap(1 GiB)', worker.perCallMs.mmapUnmap, cMmap],
  ]) {
    const { row, stats } = figures({ ns: toNs(js), cNs: cSummary });
    results.calls.push({ name, ...row, stats });
  }
}

/** A note for each canfork entry point the worker could not measure, with the reason it gave. */
function recordMissing(results, unavailable) {
  for (const [name, reason] of Object.entries(unavailable)) {
    const note = `${name}: not yet measured (${reason})`;
    if (!results.notes.includes(note)) results.notes.push(note);
  }
}

async function main() {
  const started = new Date();
  const load = watchMachineLoad();
  const baseline = compileBaseline();
  const results = {
    machine: describeMachine(), mode: quick ? 'quick' : 'full', passes: settings.passes, warmUp: { ...settings.warmUp, untimedSpawns }, startedAt: started.toISOString(), source: sourceVersion(),
    // Free text from whoever ran it: what else the machine was doing (the load figures below are measured).
    conditions: process.env.CANFORK_BENCH_CONDITIONS ?? null,
    peers: {}, spawn: [], canFork: [], calls: [], memory: [], cgroup: null, cliScan: null, notes: [],
  };
  const peers = preparePeers(results);
  results.peers = Object.fromEntries(Object.entries(peers).map(([name, peer]) => [name, peer && { version: peer.version }]));
  if (!registerBuilt) results.notes.push('canfork/register: not measured, dist/register-require.js is not built in this tree yet');
  for (const gib of settings.rssLevels) await measureRssLevel(gib * GiB, baseline, peers, results);
  await measureMemory(results);
  await measureCgroupCost(results);
  await measureCliScan(results);
  for (const count of settings.vmaLevels) await measureVmaLevel(count, results);
  await measureCalls(baseline, results);
  results.machine.load = load.stop();
  results.durationSeconds = Math.round((Date.now() - started.getTime()) / 1000);

  const prefix = quick ? 'quick-' : '';
  const suffix = quick ? '.tmp' : ''; // quick results are gitignored (bench/results/*.tmp)
  mkdirSync(resultsDir, { recursive: true });
  const outputs = {
    [`${quick ? 'quick' : 'latest'}.json${suffix}`]: `${JSON.stringify(results, null, 2)}\n`,
    [`${prefix}spawn.svg${suffix}`]: spawnChart(results),
    [`${prefix}canfork.svg${suffix}`]: canForkChart(results),
    [`${quick ? 'quick' : 'latest'}.md${suffix}`]: markdownReport(results),
  };
  for (const [name, text] of Object.entries(outputs)) writeFileSync(path.join(resultsDir, name), text);
  process.stdout.write(`\n${markdownReport(results)}\n`);
  log(`machine load: ${JSON.stringify(results.machine.load)}`);
  for (const note of results.notes) log(`note: ${note}`);
  log(`wrote ${Object.keys(outputs).map((name) => `bench/results/${name}`).join(', ')} in ${results.durationSeconds}s`);
}

await main();
