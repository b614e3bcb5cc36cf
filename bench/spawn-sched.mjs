// Where spawn to exit goes, from the scheduler's own record: `node bench/spawn-sched.mjs [spawns]`.
// Needs perf (Debian: linux-perf), run as root (it records scheduler tracepoints). It runs each loop of
// bench/lib/spawn-loops.cjs (canfork's spawn awaited by events.once and by an 'exit' listener, register, the addon
// alone without ChildProcess, Bun) under `perf sched record` (plus the exec tracepoint), and takes from
// `perf sched timehist` how long each side ran on a CPU per spawn, split where the child's exec releases the vfork
// parent (the child's wake-up of it, from `perf script`):
//   parent, exit → clone: from the child's exit waking the parent to the next spawn's clone (the exit reaching
//     JavaScript, the await, the next spawn up to the clone);
//   child, clone → exec: the new child until its exec lets the vfork parent go (for Bun its signal resets too);
//   parent, after exec: from that wake-up until the parent sleeps again (the rest of the spawn call, the
//     return to the event loop);
//   child, exec → exit: the rest of the exec, then /bin/true itself, the dynamic loader and libc start-up.
// Where the kernel keeps parent and child on one CPU (it did on the 2-core machine of the README), these run one
// after another, so every microsecond of them is in the spawn-to-exit time; `serial` is the sum of the first three,
// what the spawner adds to the program's own run. The loops take turns in 3 passes of spawns/3 spawns each. Each
// pass first warms its loop up (bench/lib/warm-up.mjs warmUpSpawns) that perf does not record (it starts disabled and the loop enables
// it through perf's control fifo), so the figures are those of a settled JIT (see bench/lib/warm-up.mjs). Prints one
// JSON object, times in µs, and writes it to bench/results/spawn-sched.json, from which bench/update-readme.mjs adds
// the split to the README.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './lib/machine.cjs';
import { sourceVersion } from './lib/source-version.cjs';
import { runInTurns, spawnLoops } from './lib/spawn-loops.cjs';
import { warmUpSpawns } from './lib/warm-up.mjs';

const spawns = Number(process.argv[2] ?? 1000);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const passes = 3;
const spawnsPerPass = Math.ceil(spawns / passes);
// Spawns before perf is enabled: V8 is still compiling the hot paths meanwhile.
const warmUp = warmUpSpawns;
// The first recorded spawn is left out: its parent's turn before the clone holds the enabling (the write, the ack).
const leftOut = 1;

/** `perf sched timehist` rows with run times: { endUs, cpu, tid, runUs }, in time order. */
function timehistRows(text) {
  const rows = [];
  for (const line of text.split('\n')) {
    const match = /^\s*([\d.]+)\s+\[(\d+)\]\s+(.+)\[(\d+)(?:\/\d+)?\]\s+[\d.]+\s+[\d.]+\s+([\d.]+)\s*$/.exec(line);
    if (match) {
      rows.push({ endUs: Number(match[1]) * 1e6, cpu: Number(match[2]), tid: Number(match[4]), runUs: Number(match[5]) * 1000 });
    }
  }
  return rows;
}

/**
 * From `perf script` text: each /bin/true exec (tid -> time in µs), and every wake-up as [waker tid, woken tid, µs]
 * in time order.
 */
function scriptEvents(text) {
  const execs = new Map();
  const wakeUps = [];
  for (const line of text.split('\n')) {
    const exec = /^\s*(\d+)\s+([\d.]+):\s+sched:sched_process_exec:\s+filename=\/bin\/true\b/.exec(line);
    if (exec) execs.set(Number(exec[1]), Number(exec[2]) * 1e6);
    // comm=%s pid=%d prio=%d target_cpu=%03d: the name may hold spaces, so the fields are taken from the end.
    const wakeUp = /^\s*(\d+)\s+([\d.]+):\s+sched:sched_waking:\s+comm=.* pid=(\d+) prio=-?\d+ target_cpu=\d+\s*$/.exec(line);
    if (wakeUp) wakeUps.push([Number(wakeUp[1]), Number(wakeUp[3]), Number(wakeUp[2]) * 1e6]);
  }
  return { execs, wakeUps };
}

/**
 * Each spawn's time on a CPU in one recorded loop, split as the header says: { sameCpu, children, parts }, the
 * warm-up spawns left out. A child is a thread that exec'd /bin/true. The split point is its release of the vfork
 * parent, the first time it wakes the parent (exec does it when it drops the shared memory, before the exec has
 * finished): the child's turns are cut there (it may run from the clone to its exit in one turn; preempted turns
 * are summed), and each parent turn counts towards the phase in which it ended.
 */
function splitTurns(rows, { execs, wakeUps }) {
  // The parent: the thread with the most turns among those that never became /bin/true.
  const turns = new Map();
  for (const row of rows) if (!execs.has(row.tid)) turns.set(row.tid, (turns.get(row.tid) ?? 0) + 1);
  const parent = [...turns].sort((x, y) => y[1] - x[1])[0][0];
  const releases = new Map(); // child tid -> when it first woke the parent
  for (const [waker, woken, time] of wakeUps) if (woken === parent && execs.has(waker) && !releases.has(waker)) releases.set(waker, time);
  const children = new Map(); // tid -> { release, exit, beforeRelease, program, cpus }
  for (const row of rows) {
    const release = releases.get(row.tid);
    if (release === undefined) continue;
    const child = children.get(row.tid) ?? { release, exit: 0, beforeRelease: 0, program: 0, cpus: new Set() };
    // The turn ran from endUs - runUs to endUs; its part up to the release is the spawn's, the rest the program's.
    const beforeRelease = Math.min(row.runUs, Math.max(0, release - (row.endUs - row.runUs)));
    child.beforeRelease += beforeRelease;
    child.program += row.runUs - beforeRelease;
    if (beforeRelease > 0) child.cpus.add(row.cpu);
    child.exit = Math.max(child.exit, row.endUs);
    children.set(row.tid, child);
  }
  const parentRows = rows.filter((row) => row.tid === parent);
  const ordered = [...children.values()].sort((x, y) => x.release - y.release);
  const ranSum = (from, to) => parentRows.filter((row) => row.endUs > from && row.endUs <= to).reduce((sum, row) => sum + row.runUs, 0);
  const parts = { 'parent, exit → clone': [], 'child, clone → exec': [], 'parent, after exec': [], 'child, exec → exit': [], serial: [] };
  let sameCpu = 0;
  ordered.forEach((child, index) => {
    if (index < leftOut) return;
    parts['child, clone → exec'].push(child.beforeRelease);
    parts['child, exec → exit'].push(child.program);
    const afterExec = ranSum(child.release, child.exit);
    parts['parent, after exec'].push(afterExec);
    const next = ordered[index + 1];
    if (next) {
      // The parent sleeps from the clone to the release (vfork): its turn that ends with the clone ends before it.
      const exitToClone = ranSum(child.exit, next.release);
      parts['parent, exit → clone'].push(exitToClone);
      parts.serial.push(child.beforeRelease + afterExec + exitToClone);
    }
    const parentCpu = parentRows.findLast((row) => row.endUs <= child.release)?.cpu;
    if (child.cpus.size === 1 && child.cpus.has(parentCpu)) sameCpu++;
  });
  return { sameCpu, children: Math.max(0, ordered.length - leftOut), parts };
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
// The loop: its warm-up, then perf enabled through the control fifo (perf answers "ack" on the other), then the
// recorded spawns.
const loopBody = `const { openSync, readSync, writeFileSync } = require('node:fs');
for (let i = 0; i < ${warmUp}; i++) await spawnToExit();
writeFileSync(process.env.CANFORK_PERF_CONTROL, 'enable\\n');
readSync(openSync(process.env.CANFORK_PERF_ACK, 'r'), Buffer.alloc(5));
for (let i = 0; i < ${leftOut + spawnsPerPass}; i++) await spawnToExit();`;
const turnsOf = runInTurns(spawnLoops(), loopBody, passes,
  (runtime, script) => {
    const data = `${script}.data`;
    const control = `${script}.control`;
    const ack = `${script}.ack`;
    rmSync(control, { force: true });
    rmSync(ack, { force: true });
    execFileSync('mkfifo', [control, ack]);
    // perf sched's own events (the wake-ups among them) and each exec, which tells the children; disabled (-D -1)
    // until the loop enables it.
    execFileSync('perf', ['sched', 'record', '-q', '-o', data, '-D', '-1', `--control=fifo:${control},${ack}`, '-e', 'sched:sched_process_exec',
      '--', runtime, script], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CANFORK_PERF_CONTROL: control, CANFORK_PERF_ACK: ack } });
    const read = (args) => execFileSync('perf', [...args, '-i', data], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
    return splitTurns(timehistRows(read(['sched', 'timehist'])), scriptEvents(read(['script', '-F', 'tid,time,event,trace'])));
  });
const names = Object.keys(turnsOf);
const results = {
  measuredAt: new Date().toISOString(), source: sourceVersion(), machine: describeMachine(), spawnsPerPass, passes, warmUpSpawns: warmUp,
  loops: Object.fromEntries(names.map((name) => [name, summariseTurns(turnsOf[name])])),
};
const text = `${JSON.stringify(results, null, 2)}\n`;
writeFileSync(path.join(root, 'bench', 'results', 'spawn-sched.json'), text);
process.stdout.write(text);
