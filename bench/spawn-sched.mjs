// Where spawn to exit goes, from the scheduler's own record: `node bench/spawn-sched.mjs [spawns]`.
// Needs perf (Debian: linux-perf), run as root (it records scheduler tracepoints). It runs each loop of
// bench/lib/spawn-loops.cjs (canfork's spawn, register, the addon alone without ChildProcess, Bun) under
// `perf sched record`, and takes from `perf sched timehist`, per spawn, how long each side ran on a CPU:
//   parent, exit → clone: from the child's exit waking the parent to the next spawn's clone (the exit reaching
//     JavaScript, the await, the next spawn up to the clone);
//   child, clone → exec: the new child until exec lets the vfork parent go (for Bun its signal resets too);
//   parent, after exec: from that wake-up until the parent sleeps again (the rest of the spawn call, the
//     return to the event loop);
//   child, exec → exit: /bin/true itself, the dynamic loader and libc start-up.
// Where the kernel keeps parent and child on one CPU (it did on the 2-core machine of the README), these run one
// after another, so every microsecond of them is in the spawn-to-exit time; `serial` is the sum of the first three,
// what the spawner adds to the program's own run. The loops take turns in 3 passes of spawns/3 spawns each, after
// 200 untimed ones. Prints one JSON object, times in µs, and writes it to bench/results/spawn-sched.json, from which
// bench/update-readme.mjs adds the split to the README.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './lib/machine.cjs';
import { sourceVersion } from './lib/source-version.cjs';
import { runInTurns, spawnLoops } from './lib/spawn-loops.cjs';

const spawns = Number(process.argv[2] ?? 1000);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const passes = 3;
const spawnsPerPass = Math.ceil(spawns / passes);
// Spawns at the start of each loop left out of the figures: V8 is still compiling the hot paths meanwhile.
const warmUp = 200;

/** `perf sched timehist` rows with run times: { endUs, cpu, comm, tid, runUs }, in time order. */
function timehistRows(text) {
  const rows = [];
  for (const line of text.split('\n')) {
    const match = /^\s*([\d.]+)\s+\[(\d+)\]\s+(.+)\[(\d+)(?:\/\d+)?\]\s+[\d.]+\s+[\d.]+\s+([\d.]+)\s*$/.exec(line);
    if (match) {
      rows.push({ endUs: Number(match[1]) * 1e6, cpu: Number(match[2]), comm: match[3].trim(), tid: Number(match[4]), runUs: Number(match[5]) * 1000 });
    }
  }
  return rows;
}

/**
 * Each spawn's time on a CPU in one recorded loop, split as the header says: { sameCpu, children, parts }, the
 * warm-up spawns left out. A child is a thread that became /bin/true; its turns (preempted ones too) are summed,
 * and each parent turn counts towards the phase in which it ended.
 */
function splitTurns(rows) {
  const children = new Map(); // tid -> { first turn's end, exec (last turn before /bin/true), exit, runs }
  for (const row of rows) {
    if (row.comm !== 'true') continue;
    const child = children.get(row.tid) ?? { start: Infinity, exec: Infinity, exit: 0, beforeExec: 0, program: 0, cpus: new Set() };
    child.exit = row.endUs;
    child.program += row.runUs;
    children.set(row.tid, child);
  }
  for (const row of rows) {
    const child = children.get(row.tid);
    if (!child || row.comm === 'true') continue;
    child.start = Math.min(child.start, row.endUs);
    child.exec = row.endUs;
    child.beforeExec += row.runUs;
    child.cpus.add(row.cpu);
  }
  // The parent: the thread with the most turns among those that never became /bin/true.
  const turns = new Map();
  for (const row of rows) if (!children.has(row.tid)) turns.set(row.tid, (turns.get(row.tid) ?? 0) + 1);
  const parent = [...turns].sort((x, y) => y[1] - x[1])[0][0];
  const parentRows = rows.filter((row) => row.tid === parent);
  const ordered = [...children.values()].filter((child) => child.start !== Infinity).sort((x, y) => x.start - y.start);
  const ranSum = (from, to) => parentRows.filter((row) => row.endUs > from && row.endUs <= to).reduce((sum, row) => sum + row.runUs, 0);
  const parts = { 'parent, exit → clone': [], 'child, clone → exec': [], 'parent, after exec': [], 'child, exec → exit': [], serial: [] };
  let sameCpu = 0;
  ordered.forEach((child, index) => {
    if (index < warmUp) return;
    parts['child, clone → exec'].push(child.beforeExec);
    parts['child, exec → exit'].push(child.program);
    const afterExec = ranSum(child.exec, child.exit);
    parts['parent, after exec'].push(afterExec);
    const next = ordered[index + 1];
    if (next) {
      const exitToClone = ranSum(child.exit, next.start);
      parts['parent, exit → clone'].push(exitToClone);
      parts.serial.push(child.beforeExec + afterExec + exitToClone);
    }
    const parentCpu = parentRows.findLast((row) => row.endUs <= child.start)?.cpu;
    if (child.cpus.size === 1 && child.cpus.has(parentCpu)) sameCpu++;
  });
  return { sameCpu, children: Math.max(0, ordered.length - warmUp), parts };
}

/** One loop's passes pooled: the share of children that ran on the parent's CPU, and each part's quartiles. */
function summariseTurns(passTurns) {
  const quantile = (list, q) => Math.round([...list].sort((x, y) => x - y)[Math.floor(q * (list.length - 1))]);
  const children = passTurns.reduce((sum, turns) => sum + turns.children, 0);
  const sameCpu = passTurns.reduce((sum, turns) => sum + turns.sameCpu, 0);
  return {
    childOnParentCpu: Number((sameCpu / Math.max(1, children)).toFixed(3)),
    runUs: Object.fromEntries(Object.keys(passTurns[0].parts).map((name) => {
      const list = passTurns.flatMap((turns) => turns.parts[name]);
      return [name, list.length ? { median: quantile(list, 0.5), p25: quantile(list, 0.25), p75: quantile(list, 0.75), n: list.length } : null];
    })),
  };
}

try {
  execFileSync('perf', ['--version'], { stdio: 'ignore' });
} catch {
  process.stderr.write('bench/spawn-sched.mjs needs perf (Debian: apt-get install linux-perf)\n');
  process.exit(1);
}
// One perf record per loop and pass, the loops taking turns (bench/lib/spawn-loops.cjs).
const turnsOf = runInTurns(spawnLoops(), `for (let i = 0; i < ${warmUp + spawnsPerPass}; i++) await spawnToExit();`, passes,
  (runtime, script) => {
    const data = `${script}.data`;
    execFileSync('perf', ['sched', 'record', '-q', '-o', data, '--', runtime, script], { stdio: ['ignore', 'ignore', 'inherit'] });
    const text = execFileSync('perf', ['sched', 'timehist', '-i', data], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
    return splitTurns(timehistRows(text));
  });
const names = Object.keys(turnsOf);
const results = {
  measuredAt: new Date().toISOString(), source: sourceVersion(), machine: describeMachine(), spawnsPerPass, passes,
  loops: Object.fromEntries(names.map((name) => [name, summariseTurns(turnsOf[name])])),
};
const text = `${JSON.stringify(results, null, 2)}\n`;
writeFileSync(path.join(root, 'bench', 'results', 'spawn-sched.json'), text);
process.stdout.write(text);
