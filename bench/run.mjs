// The benchmark harness: `npm run bench` (full, under 5 minutes) or `npm run bench -- --quick` (CI).
// Each measurement runs in a fresh process (bench/worker.mjs, or the C floor bench/baseline.c) so that
// one RSS level cannot disturb the next. It fails only when the harness breaks, never on a number.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { describeMachine, watchMachineLoad } from './lib/machine.cjs';
import { availableBytes, GiB } from './lib/memory.cjs';
import { markdownReport } from './lib/report.cjs';
import { summarize, round, roundSummary } from './lib/stats.cjs';
import { canForkChart, spawnChart } from './lib/charts.cjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.join(benchDir, 'results');
const quick = process.argv.includes('--quick');

const settings = quick
  ? { rssLevels: [0, 1], vmaLevels: [100, 1000, 10000], spawnBudgetMs: 400, rounds: 3, microTimeMs: 250, cSpawns: 60, cRounds: 7 }
  : { rssLevels: [0, 1, 4, 8], vmaLevels: [100, 1000, 10000], spawnBudgetMs: 3000, rounds: 5, microTimeMs: 1000, cSpawns: 300, cRounds: 21 };
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
function runJson(file, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] });
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

const runWorker = (request) => runJson(process.execPath, [path.join(benchDir, 'worker.mjs'), JSON.stringify(request)], 180_000);

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

async function measureRssLevel(rssBytes, baseline, results) {
  const levelGiB = rssBytes / GiB;
  if (availableBytes() < rssBytes + spareBytes) {
    results.notes.push(`${levelGiB} GiB level skipped: only ${(availableBytes() / GiB).toFixed(1)} GiB available`);
    log(results.notes.at(-1));
    return;
  }
  // The C floor runs half before and half after the Node worker, so that a burst of load from other
  // users of a shared machine does not land on one side of the comparison only.
  const cHalf = async (when) => {
    log(`RSS ${levelGiB} GiB: C posix_spawn baseline (${when})`);
    const c = await runJson(baseline, ['spawn', String(rssBytes), String(Math.ceil(settings.cSpawns / 2))], 120_000);
    checkResident(`baseline at ${levelGiB} GiB`, rssBytes, c.residentBytes);
    return c;
  };
  const cFirst = await cHalf('first half');
  log(`RSS ${levelGiB} GiB: node worker (child_process, canfork spawn/spawnSync, canFork, smaps, maps)`);
  const worker = await runWorker({ kind: 'rss', rssBytes, spawnBudgetMs: settings.spawnBudgetMs, rounds: settings.rounds, microTimeMs: settings.microTimeMs });
  checkResident(`worker at ${levelGiB} GiB`, rssBytes, worker.residentBytes);
  const cSecond = await cHalf('second half');
  const cMs = (key) => summarize([...cFirst[key], ...cSecond[key]].map((nsValue) => nsValue / 1e6));

  const spawnFigures = figures({
    childProcessMs: worker.childProcess.latencyMs,
    canforkMs: worker.canfork?.latencyMs,
    canforkSyncMs: worker.canforkSync?.latencyMs,
    posixSpawnMs: cMs('samplesNs'),
    childProcessStallMs: worker.childProcess.stallMs,
    canforkStallMs: worker.canfork?.stallMs,
    idleStallMs: worker.idle.stallMs,
  });
  const callStats = {
    ...figures({ childProcessCallMs: worker.childProcess.callMs, canforkCallMs: worker.canfork?.callMs }).stats,
    // The floor for the stall: how long glibc's posix_spawn (itself a CLONE_VFORK) blocked its caller.
    ...figures({ posixSpawnBlockedMs: cMs('blockedNs') }).stats,
  };
  results.spawn.push({ rssBytes, residentBytes: worker.residentBytes, ...spawnFigures.row, stats: { ...spawnFigures.stats, ...callStats } });
  const fork = forkCheckFigures(worker.forkCheck);
  results.canFork.push({ rssBytes, vmas: worker.vmas, ...fork.row, stats: fork.stats });
  recordMissing(results, worker.unavailable);
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

/** The commit measured, and whether src/ or native/ had uncommitted changes (a shared tree may). */
function sourceVersion() {
  try {
    const git = (...args) => execFileSync('git', args, { cwd: path.dirname(benchDir), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { commit: git('rev-parse', '--short', 'HEAD'), uncommittedSources: git('status', '--porcelain', '--', 'src', 'native') !== '' };
  } catch {
    return null; // not a git checkout (an npm tarball): nothing to record
  }
}

async function main() {
  const started = new Date();
  const load = watchMachineLoad();
  const baseline = compileBaseline();
  const results = {
    machine: describeMachine(), mode: quick ? 'quick' : 'full', startedAt: started.toISOString(), source: sourceVersion(),
    spawn: [], canFork: [], calls: [], notes: [],
  };
  for (const gib of settings.rssLevels) await measureRssLevel(gib * GiB, baseline, results);
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
