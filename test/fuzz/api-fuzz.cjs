// Random JavaScript values into every function canfork exports (run by test/fuzz/api.test.ts in its own
// node, so that a crash or a hang is observed from outside). Prints one JSON line: per function, how
// many calls returned, threw a TypeError/RangeError with a Node code, or a system error, and every
// call that threw anything else. Never touches another process: pids that name a live process other
// than this one are replaced by this one's before a call that could change it, spawned programs are
// `true` or a path that does not exist, and rlimits are restored after every setrlimit/prlimit.
'use strict';
const { clearTimeout, setTimeout } = require('node:timers');
const fc = require('fast-check');
const canfork = require(process.argv[2]);

const runs = Number(process.argv[3] ?? 200);
const seed = Number(process.argv[4] ?? Date.now() % 2 ** 31);
const stats = {};
const strays = [];

function classify(error) {
  // Node's own argument errors carry an ERR_ code: a bare TypeError or RangeError is a stray.
  if ((error instanceof TypeError || error instanceof RangeError) && typeof error.code === 'string' && error.code.startsWith('ERR_')) {
    return error instanceof TypeError ? 'typeError' : 'rangeError';
  }
  if (error instanceof Error && typeof error.code === 'string' && Number.isInteger(error.errno) && error.errno < 0 && typeof error.syscall === 'string') {
    return 'systemError';
  }
  // execSync/execFileSync throw child_process's own error for a child that failed: status or signal set.
  if (error instanceof Error && error.message.startsWith('Command failed: ') && ('status' in error || 'signal' in error)) {
    return 'commandFailed';
  }
  // An argument with no string form ({ __proto__: null }, a Symbol), or a BigInt or Symbol uid/gid (Node's
  // isInt32 does `value | 0`): child_process lets V8's own TypeError through, and so does canfork's spawn
  // family (seed 1922779089: a Symbol gid to execSync, the same TypeError from both).
  const v8Messages = /^(Cannot convert (object to primitive value|a Symbol value to a (string|number))|Cannot mix BigInt and other types, use explicit conversions)$/;
  if (error instanceof TypeError && v8Messages.test(error.message)) {
    return 'noStringForm';
  }
  return null;
}

function describe(value) {
  try {
    return typeof value === 'bigint' ? `${value}n` : fc.stringify(value).slice(0, 300);
  } catch {
    return String(typeof value);
  }
}

function record(name, args, outcome) {
  const entry = (stats[name] ??= { calls: 0, returned: 0, typeError: 0, rangeError: 0, systemError: 0, commandFailed: 0, noStringForm: 0, stray: 0 });
  entry.calls++;
  if (!outcome.threw) {
    entry.returned++;
    return;
  }
  const kind = classify(outcome.error);
  if (kind) {
    entry[kind]++;
    return;
  }
  entry.stray++;
  if (strays.length < 20) {
    strays.push({ name, args: args.map(describe), error: `${outcome.error?.constructor?.name}: ${outcome.error?.message ?? outcome.error}`, code: outcome.error?.code });
  }
}

function call(name, fn, args) {
  let outcome;
  try {
    outcome = { threw: false, value: fn(...args) };
  } catch (error) {
    outcome = { threw: true, error };
  }
  record(name, args, outcome);
  return outcome;
}

// Values that are not pids of other live processes.
function harmlessPid(value) {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0 && value !== process.pid && value < 2 ** 22) return process.pid;
  if (typeof value === 'object' && value !== null && typeof value.valueOf === 'function') return process.pid; // boxed numbers
  if (typeof value === 'string' && /^\s*\d/.test(value)) return process.pid;
  return value;
}

const weird = fc.oneof(
  fc.anything({ withBigInt: true, withBoxedValues: true, withMap: true, withSet: true, withNullPrototype: true, withTypedArray: true, withSparseArray: true, withDate: true }),
  fc.constantFrom(NaN, -0, Infinity, -Infinity, 2 ** 53, -(2 ** 53), 2 ** 31, 2 ** 32, -1, 0.5, 4096, 2 ** 52, Number.MAX_VALUE, Symbol('s'), () => 1, [], {}, '', '\u0000', 'nofile', 'as', 'SIGKILL', 'pipe', 'inherit'),
);
const resource = fc.oneof(fc.constantFrom(...canfork.RLIMIT_RESOURCES), weird);
const limits = fc.oneof(weird, fc.record({ soft: weird, hard: weird }, { requiredKeys: [] }));
const command = fc.oneof(weird.filter((v) => typeof v !== 'string'), fc.constantFrom('true', '/bin/true', '', '/nonexistent/canfork-fuzz'),
  fc.string().map((s) => `/nonexistent/${s}`));
const spawnOptions = fc.oneof(weird, fc.record({
  cwd: fc.oneof(weird, fc.constantFrom('/', '/tmp', '/nonexistent')), env: weird, argv0: weird,
  stdio: fc.oneof(weird, fc.array(fc.oneof(weird, fc.constantFrom('pipe', 'ignore', 'inherit', 0, 1, 2)), { maxLength: 6 })),
  detached: weird, processGroup: weird, uid: weird, gid: weird, rlimits: fc.oneof(weird, fc.dictionary(fc.constantFrom(...canfork.RLIMIT_RESOURCES), weird)),
  timeout: weird, killSignal: weird, shell: weird, input: weird, maxBuffer: weird, encoding: weird,
}, { requiredKeys: [] }));

const saved = Object.fromEntries(canfork.RLIMIT_RESOURCES.map((name) => [name, canfork.getrlimit(name)]));
// No call may lower a limit below what this process had: without CAP_SYS_RESOURCE (containers drop it)
// a lowered hard limit cannot be raised back, and a tiny 'as' or 'stack' would kill node itself.
function neverLower(name, next) {
  // A name that is not a plain resource string may still be taken for one (a boxed string): then no
  // number below Infinity is safe.
  const current = typeof name === 'string' && Object.hasOwn(saved, name) ? saved[name] : { soft: Infinity, hard: Infinity };
  if (typeof next !== 'object' || next === null) return next;
  const copy = Array.isArray(next) ? [...next] : { ...next };
  for (const side of ['soft', 'hard']) {
    if (typeof copy[side] === 'number' && !(copy[side] >= current[side])) copy[side] = current[side];
  }
  return copy;
}

const restoreFailures = [];
function restoreLimits(after) {
  for (const [name, value] of Object.entries(saved)) {
    try {
      canfork.setrlimit(name, value);
    } catch (error) {
      restoreFailures.push({ name, value, now: canfork.getrlimit(name), after: after.map(describe), error: error.message });
    }
  }
}

async function settle(child) {
  if (!child || typeof child.on !== 'function') return;
  // An 'error' event (a failed exec, a bad uid) must be typed as a thrown one would be.
  child.on('error', (error) => record("spawn 'error' event", [child.spawnargs], { threw: true, error }));
  for (const stream of [child.stdin, child.stdout, child.stderr]) stream?.on?.('error', () => {});
  child.stdout?.resume?.();
  child.stderr?.resume?.();
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, 5000);
    child.on('close', () => { clearTimeout(timer); resolve(); });
    if (child.exitCode === null && child.pid !== undefined) {
      call('ChildProcess.kill', child.kill.bind(child), [['SIGKILL', 9, 'SIGTERM', 0][child.pid % 4]]);
    } else if (child.pid === undefined) {
      setTimeout(resolve, 50);
    }
  });
}

async function main() {
  const sample = (arbitrary, index) => fc.sample(arbitrary, { numRuns: runs, seed: seed + index });
  let index = 0;
  for (const [length, options] of sample(fc.tuple(weird, weird), index++)) {
    const outcome = call('mmap', canfork.mmap, [length, options]);
    if (!outcome.threw) outcome.value.unmap();
  }
  for (const args of sample(fc.array(weird, { maxLength: 3 }), index++)) call('Mapping', (...a) => new canfork.Mapping(...a), args);
  for (const [bytes] of sample(fc.tuple(weird), index++)) call('tryAllocate', canfork.tryAllocate, [bytes]);
  for (const args of sample(fc.array(weird, { maxLength: 2 }), index++)) call('liveMappingCount', canfork.liveMappingCount, args);
  for (const args of sample(fc.array(weird, { maxLength: 2 }), index++)) call('addonLoadReport', canfork.addonLoadReport, args);
  for (const [name] of sample(fc.tuple(resource), index++)) call('getrlimit', canfork.getrlimit, [name]);
  for (const [name, next] of sample(fc.tuple(resource, limits), index++)) {
    call('setrlimit', canfork.setrlimit, [name, neverLower(name, next)]);
    restoreLimits(['setrlimit', name, next]);
  }
  for (const [pid, name, next, withNext] of sample(fc.tuple(weird, resource, limits, fc.boolean()), index++)) {
    call('prlimit', canfork.prlimit, withNext ? [harmlessPid(pid), name, neverLower(name, next)] : [harmlessPid(pid), name]);
    restoreLimits(['prlimit', harmlessPid(pid), name, next]);
  }
  for (const [pid, options] of sample(fc.tuple(weird, weird), index++)) {
    // A blocking waitpid on a live child of ours would wait for it: only nohang or pids that are not children.
    call('waitpid', canfork.waitpid, [harmlessPid(pid) === process.pid ? process.pid : pid, options]);
  }
  for (const [options] of sample(fc.tuple(fc.oneof(weird, fc.record({ pid: weird, trial: weird, exact: weird }, { requiredKeys: [] }))), index++).slice(0, Math.ceil(runs / 4))) {
    call('canFork', canfork.canFork, [options]);
    call('assertCanFork', canfork.assertCanFork, [options]);
  }
  for (const args of sample(fc.array(weird, { maxLength: 2 }), index++).slice(0, Math.ceil(runs / 4))) call('machineSummary', canfork.machineSummary, args);
  for (const [pid, signal] of sample(fc.tuple(weird, weird), index++)) {
    // Never a live process: a pid that names one becomes 4194303, above this machine's pid_max and unused.
    call('killTree', canfork.killTree, [harmlessPid(pid) === process.pid ? 4194303 : pid, signal]);
  }
  for (const [file, args, options, argCount] of sample(fc.tuple(command, weird, spawnOptions, fc.nat(3)), index++)) {
    const list = [file, args, options].slice(0, argCount);
    const outcome = call('spawn', canfork.spawn, list);
    if (!outcome.threw) await settle(outcome.value);
  }
  for (const [file, args, options, argCount] of sample(fc.tuple(command, weird, spawnOptions, fc.nat(3)), index)) {
    call('spawnSync', canfork.spawnSync, [file, args, options].slice(0, argCount));
  }
  // The exec family (fork is left out: every call would start a node; register would patch this process).
  // Fixed commands only: exec and execSync hand them to /bin/sh, where random text could redirect into files.
  const shellSafe = fc.oneof(weird.filter((v) => typeof v !== 'string'), fc.constantFrom('true', '/bin/true', '', '/nonexistent/canfork-fuzz'));
  for (const [file, args, options, argCount] of sample(fc.tuple(shellSafe, weird, spawnOptions, fc.nat(3)), index + 1).slice(0, Math.ceil(runs / 4))) {
    const list = [file, args, options].slice(0, argCount);
    for (const [name, fn, fnArgs] of [['execFile', canfork.execFile, list], ['exec', canfork.exec, [file, options].slice(0, argCount)]]) {
      const outcome = call(name, fn, fnArgs);
      if (!outcome.threw) await settle(outcome.value);
    }
    // Without a stdio option both copy the child's stderr to ours (as child_process does): keep it quiet.
    const write = process.stderr.write;
    process.stderr.write = () => true;
    try {
      call('execFileSync', canfork.execFileSync, list);
      call('execSync', canfork.execSync, [file, options].slice(0, argCount));
    } finally {
      process.stderr.write = write;
    }
  }
  restoreLimits(['end']);
  if (restoreFailures.length > 0) throw new Error(`limits could not be restored: ${JSON.stringify(restoreFailures.slice(0, 3))}`);
  console.log(JSON.stringify({ seed, runs, stats, strays }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
