// The spawn loops that bench/spawn-cpu.mjs and bench/spawn-sched.mjs both run, each in a process of its own:
// /bin/true with every stdio stream ignored, spawn to exit, one after another. Each loop is its runtime, the
// setup of its script (ES module source; `require` is made with createRequire, which Bun has too) and an
// expression for one spawn to exit (a function returning a promise). The loops:
//   canfork: canfork's spawn, awaiting 'exit' (Node's ChildProcess over canfork's process handle);
//   canforkListener: canfork's spawn, awaiting a promise its 'exit' listener resolves; canfork minus this is what
//     events.once adds to each spawn;
//   register: child_process.spawn under canfork/register, awaiting 'exit';
//   addonAlone: the addon's spawn and exit watch with a promise, no ChildProcess; canfork minus this is Node's
//     ChildProcess and canfork's JavaScript around the addon;
//   bun: Bun.spawn, awaiting `exited`, when `npm run bench` has installed Bun (or $CANFORK_BENCH_BUN names it).
const { existsSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { peerBinary } = require('./peers.cjs');

const root = path.resolve(__dirname, '..', '..');
const modulePath = (...parts) => JSON.stringify(path.join(root, ...parts));
const requireLine = "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);";
const awaitExit = "const { once } = require('node:events');";

/** { name: { runtime, setup, spawnToExit } } of the loops above; Bun's only where its binary is. */
function spawnLoops() {
  const bun = peerBinary('bun');
  return {
    canfork: {
      runtime: process.execPath,
      setup: `${awaitExit}\nconst canfork = require(${modulePath('dist', 'index.js')});`,
      spawnToExit: "() => once(canfork.spawn('/bin/true', [], { stdio: 'ignore' }), 'exit')",
    },
    canforkListener: {
      runtime: process.execPath,
      setup: `const canfork = require(${modulePath('dist', 'index.js')});`,
      spawnToExit: "() => new Promise((resolve) => canfork.spawn('/bin/true', [], { stdio: 'ignore' }).on('exit', resolve))",
    },
    register: {
      runtime: process.execPath,
      setup: `${awaitExit}\nrequire(${modulePath('dist', 'register-require.js')});\nconst childProcess = require('node:child_process');`,
      spawnToExit: "() => once(childProcess.spawn('/bin/true', [], { stdio: 'ignore' }), 'exit')",
    },
    addonAlone: {
      runtime: process.execPath,
      setup: `const { native } = require(${modulePath('dist', 'binding.js')});
const { trueSpawnPlan } = require(${modulePath('bench', 'lib', 'true-plan.cjs')});
const slots = new Int32Array(4);
const addonSpawn = () => new Promise((resolve, reject) => {
  const pid = native.spawn(trueSpawnPlan(null), slots);
  if (pid < 0) reject(new Error('spawn failed: ' + pid));
  else native.watchExit(pid, slots[0], resolve);
});`,
      spawnToExit: 'addonSpawn',
    },
    ...(existsSync(bun) ? {
      bun: { runtime: bun, setup: '', spawnToExit: "() => Bun.spawn(['/bin/true'], { stdio: ['ignore', 'ignore', 'ignore'] }).exited" },
    } : {}),
  };
}

/** A loop's script: the createRequire line, its setup, then `body` (which may use `require` and `spawnToExit`). */
function loopScript(loop, body) {
  return `${requireLine}\n${loop.setup}\nconst spawnToExit = ${loop.spawnToExit};\n${body}\n`;
}

/**
 * Runs every loop of `loops` (from spawnLoops()) `passes` times, its script being loopScript(loop, body). The loops
 * take turns, each pass starting with the next one, so that drift of the machine over the run reaches them all.
 * `measure(runtime, script)` runs one turn (files it writes beside `script` go with the directory); returns
 * { name: [each pass's result] }.
 */
function runInTurns(loops, body, passes, measure) {
  const names = Object.keys(loops);
  const results = Object.fromEntries(names.map((name) => [name, []]));
  const directory = mkdtempSync(path.join(tmpdir(), 'canfork-spawn-loops-'));
  try {
    for (let pass = 0; pass < passes; pass++) {
      for (let turn = 0; turn < names.length; turn++) {
        const name = names[(pass + turn) % names.length];
        const script = path.join(directory, `${name}.mjs`);
        writeFileSync(script, loopScript(loops[name], body));
        results[name].push(measure(loops[name].runtime, script));
      }
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
  return results;
}

module.exports = { modulePath, runInTurns, spawnLoops };
