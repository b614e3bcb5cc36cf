// How long the spawning thread runs per spawn, with no tracer attached: `node bench/spawn-cpu.mjs [spawns] [rounds]`.
// perf (bench/spawn-sched.mjs) splits a spawn into turns but slows every switch it records; this reads only
// what the kernel keeps anyway. Each loop spawns /bin/true one after another (stdio ignored) in a process of
// its own, and reads its JavaScript thread's /proc/thread-self/schedstat (time on a CPU, time runnable but
// waiting for one) and stat (user and system ticks) before and after, with the whole process's CPU and the
// wall time. The loops: canfork's spawn; child_process.spawn under canfork/register; the addon alone (its
// spawn and exit watch with a promise: canfork's spawn minus this is Node's ChildProcess and canfork's
// JavaScript around the addon); and
// Bun.spawn when `npm run bench` has installed Bun (or $CANFORK_BENCH_BUN names it). Each loop warms up with
// 500 spawns first. The loops take turns for `rounds` rounds, each round starting with the next one. Prints one
// JSON object: per loop, µs per spawn, the median of the rounds and each round's figure. The thread's on-CPU
// time counts what the kernel does for it too (the clone, the exit's wake-up); wholeProcess minus it is what
// the process's other threads ran (V8's garbage collection and compiler helpers).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { peerBinary } from './lib/peers.cjs';

const spawns = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 3);
// Long enough for V8 to have compiled the hot paths: with 100, background compiles still ran in the timed spawns.
const warmUp = 500;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (file) => JSON.stringify(path.join(root, 'dist', file));
const bun = peerBinary('bun');
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

// Runs in every loop (Node and Bun alike): the thread's counters, and the loop timed between two readings.
const measure = `import { readFileSync } from 'node:fs';
const fields = (file) => { const text = readFileSync(file, 'latin1'); return text.slice(text.lastIndexOf(')') + 2).split(' ').map(Number); };
const reading = () => {
  const [onCpuNs, waitNs] = readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ').map(Number);
  const thread = fields('/proc/thread-self/stat');
  const whole = fields('/proc/self/stat');
  return { onCpuNs, waitNs, userTicks: thread[11], systemTicks: thread[12], processTicks: whole[11] + whole[12], wallMs: performance.now() };
};
async function timed(spawnToExit) {
  for (let i = 0; i < ${warmUp}; i++) await spawnToExit();
  const before = reading();
  for (let i = 0; i < ${spawns}; i++) await spawnToExit();
  const after = reading();
  const tick = 1e6 / ${ticksPerSecond};
  const perSpawn = (value) => Number((value / ${spawns}).toFixed(1));
  process.stdout.write(JSON.stringify({
    onCpu: perSpawn((after.onCpuNs - before.onCpuNs) / 1000),
    runQueueWait: perSpawn((after.waitNs - before.waitNs) / 1000),
    user: perSpawn((after.userTicks - before.userTicks) * tick),
    system: perSpawn((after.systemTicks - before.systemTicks) * tick),
    wholeProcess: perSpawn((after.processTicks - before.processTicks) * tick),
    wall: perSpawn((after.wallMs - before.wallMs) * 1000),
  }));
}
`;

const nodeLoop = (setup, spawnToExit) => `${measure}import { createRequire } from 'node:module';
import { once } from 'node:events';
const require = createRequire(import.meta.url);
${setup}
await timed(${spawnToExit});
`;

const loops = {
  canfork: [process.execPath, nodeLoop(`const canfork = require(${dist('index.js')});`,
    `() => once(canfork.spawn('/bin/true', [], { stdio: 'ignore' }), 'exit')`)],
  register: [process.execPath, nodeLoop(`require(${dist('register-require.js')});
const childProcess = require('node:child_process');`, `() => once(childProcess.spawn('/bin/true', [], { stdio: 'ignore' }), 'exit')`)],
  addonAlone: [process.execPath, nodeLoop(`const { native } = require(${dist('binding.js')});
const { buildPlan, stdioPlan } = require(${dist('spawn/plan.js')});
const ignored = [{ type: 'ignore' }, { type: 'ignore' }, { type: 'ignore' }];
const options = { file: '/bin/true', args: ['/bin/true'], envPairs: [], stdio: ignored };
const extras = { processGroup: false, rlimits: [] };
const addonSpawn = () => new Promise((resolve, reject) => {
  // envp null: this process's environment, as canfork's spawn passes it on the main thread.
  const child = native.spawn({ ...buildPlan(options, stdioPlan(ignored), extras), envp: null });
  if (typeof child === 'number') reject(new Error('spawn failed: ' + child));
  else native.watchExit(child.pid, child.pidfd, resolve);
});`, 'addonSpawn')],
  ...(existsSync(bun) ? {
    bun: [bun, `${measure}await timed(() => Bun.spawn(['/bin/true'], { stdio: ['ignore', 'ignore', 'ignore'] }).exited);\n`],
  } : {}),
};

const median = (list) => [...list].sort((x, y) => x - y)[Math.floor((list.length - 1) / 2)];
const names = Object.keys(loops);
const perRound = Object.fromEntries(names.map((name) => [name, []]));
const directory = mkdtempSync(path.join(tmpdir(), 'canfork-spawn-cpu-'));
try {
  for (let round = 0; round < rounds; round++) {
    for (let turn = 0; turn < names.length; turn++) {
      const name = names[(round + turn) % names.length];
      const [runtime, source] = loops[name];
      const script = path.join(directory, `${name}.mjs`);
      writeFileSync(script, source);
      perRound[name].push(JSON.parse(execFileSync(runtime, [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })));
    }
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}
const results = { spawns, rounds, microsecondsPerSpawn: {} };
for (const name of names) {
  const figures = Object.keys(perRound[name][0]);
  results.microsecondsPerSpawn[name] = Object.fromEntries(figures.map((figure) => {
    const values = perRound[name].map((round) => round[figure]);
    return [figure, { median: median(values), rounds: values }];
  }));
}
// One line per figure: { "median": m, "rounds": [a, b, c] }.
const text = JSON.stringify(results, null, 2).replace(/\{\n\s+"median": ([^,]+),\n\s+"rounds": \[([^\]]*)\]\n\s+\}/g,
  (_, value, list) => `{ "median": ${value}, "rounds": [${list.trim().split(/,\s*/).join(', ')}] }`);
process.stdout.write(`${text}\n`);
