// Drives every native path of the addon once or a few hundred times, for scripts/valgrind.sh: running
// vitest itself under memcheck takes far longer (see that script). Uses dist/ and whatever addon
// CANFORK_ADDON_PATH names. Exits 0 only when every step gave the answer it should.
'use strict';
const assert = require('node:assert/strict');
const { Worker } = require('node:worker_threads');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const canfork = require(path.resolve(__dirname, '../dist/index.js'));
const { native, packStrings } = require(path.resolve(__dirname, '../dist/binding.js'));
const { constants: osConstants } = require('node:os');

// A native spawn plan written out, for the paths the public API does not reach yet.
function plan(argv, extra = {}) {
  const { STDIO_IGNORE: ignore } = native.constants;
  return { candidates: packStrings([argv[0]]), argv: packStrings(argv), envp: packStrings([]), stdio: [ignore, ignore, ignore], uid: -1, gid: -1,
    newSession: false, newProcessGroup: false, rlimits: [], ...extra };
}

// Valgrind runs clone(CLONE_VM|CLONE_VFORK) as a fork: the child's errno write after a failed exec
// never reaches the parent, which sees a plain exit 127 instead of an 'error'. Those checks need the
// real kernel, and the spawn tests make them there.
const underValgrind = process.env.CANFORK_UNDER_VALGRIND === '1';

function expectSystemError(fn, ...codes) {
  assert.throws(fn, (error) => codes.includes(error.code) && error.errno < 0 && typeof error.syscall === 'string');
}

function exitOf(child) {
  return new Promise((resolve) => child.on('close', (code, signal) => resolve([code, signal])));
}

async function main() {
  const rounds = Number(process.argv[2] ?? 50);
  for (let round = 0; round < rounds; round++) {
    // mmap family: map, unmap twice, a finalizer-freed mapping, a trial, an impossible mapping.
    const mapping = canfork.mmap(2 ** 20 + round, { noreserve: round % 2 === 0, dontfork: round % 3 === 0 });
    mapping.unmap();
    mapping.unmap();
    canfork.mmap(4096);
    assert.equal(canfork.tryAllocate(2 ** 20).ok, true);
    assert.equal(canfork.tryAllocate(2 ** 52).ok, false);
    // The kernel says ENOMEM; valgrind's own address-space manager says EINVAL.
    expectSystemError(() => canfork.mmap(2 ** 52), 'ENOMEM', 'EINVAL');
    // rlimits, including the error paths.
    const nofile = canfork.getrlimit('nofile');
    canfork.setrlimit('nofile', { soft: nofile.soft });
    assert.deepEqual(canfork.prlimit(process.pid, 'nofile'), nofile);
    expectSystemError(() => canfork.prlimit(4194304, 'nofile'), 'ESRCH');
    expectSystemError(() => canfork.setrlimit('nofile', { soft: nofile.hard + 1 }), 'EINVAL');
  }
  // spawn: pipes, env, cwd, rlimits, a failed exec, a signal; spawnSync with input; waitpid.
  for (let round = 0; round < rounds; round++) {
    const child = canfork.spawn('sh', ['-c', 'read line; echo "$line $FOO $(pwd)"; exit 3'], {
      env: { FOO: `bar${round}`, PATH: process.env.PATH }, cwd: '/tmp', rlimits: { core: 0 },
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stdin.end('hello\n');
    assert.deepEqual(await exitOf(child), [3, null]);
    assert.equal(out, `hello bar${round} /tmp\n`);
    const missing = canfork.spawn('/nonexistent/program');
    const failure = await new Promise((resolve) => {
      missing.on('error', (error) => resolve(error.code));
      missing.on('exit', (code) => resolve(code));
    });
    assert.equal(failure, underValgrind ? 127 : 'ENOENT');
    const sleeper = canfork.spawn('sleep', ['10'], { stdio: 'ignore', processGroup: true });
    await new Promise((resolve) => sleeper.on('spawn', resolve));
    sleeper.kill('SIGTERM');
    assert.deepEqual(await exitOf(sleeper), [null, 'SIGTERM']);
    const sync = canfork.spawnSync('cat', { input: `line ${round}`, encoding: 'utf8' });
    assert.equal(sync.stdout, `line ${round}`);
    const syncFailure = canfork.spawnSync('/nonexistent/program');
    assert.equal(underValgrind ? syncFailure.status : syncFailure.error.code, underValgrind ? 127 : 'ENOENT');
    const waited = canfork.spawn('true', { stdio: 'ignore' });
    await new Promise((resolve) => waited.on('spawn', resolve));
    const status = canfork.waitpid(waited.pid);
    assert.equal(status.kind, 'exited');
    expectSystemError(() => canfork.waitpid(waited.pid), 'ECHILD');
  }
  // The native contract's own paths: signalWatched, spawnSync supervision (SIGCONT, force kill),
  // pdeathsig, and a script without #! run by /bin/sh.
  const script = path.join(require('node:os').tmpdir(), `canfork-drive-${process.pid}`);
  require('node:fs').writeFileSync(script, 'exit 5\n', { mode: 0o755 });
  for (let round = 0; round < Math.ceil(rounds / 5); round++) {
    const slots = new Int32Array(4);
    const pid = native.spawn(plan(['/bin/sleep', '10'], { pdeathsig: osConstants.signals.SIGTERM }), slots);
    await new Promise((resolve) => {
      const id = native.watchExit(pid, slots[0], (err, kind, value) => {
        assert.deepEqual([err, kind, value], [0, native.constants.WAIT_SIGNALED, osConstants.signals.SIGKILL]);
        assert.equal(native.signalWatched(id, 0), -osConstants.errno.ESRCH);
        resolve();
      });
      assert.equal(native.signalWatched(id, osConstants.signals.SIGKILL), 0);
    });
    const stopped = native.spawnSync(plan(['/bin/sh', '-c', 'kill -STOP $$']), null, 50, osConstants.signals.SIGTERM, false, 1024, 100, -1);
    assert.equal(stopped.error, -osConstants.errno.ETIMEDOUT);
    const noShebang = native.spawnSync(plan([script]), null, 0, 15, false, 1024);
    assert.deepEqual(noShebang.status, [native.constants.WAIT_EXITED, 5, false]);
  }
  require('node:fs').rmSync(script);
  // canFork on this process and on another; a pid that does not exist. From the second answer on, canFork polls
  // its kept mountinfo descriptor (mountsChanged); a number that is no descriptor is the poll's error path.
  assert.equal(native.mountsChanged(2 ** 30), -osConstants.errno.EBADF);
  for (let round = 0; round < Math.ceil(rounds / 10); round++) {
    assert.equal(typeof canfork.canFork().ok, 'boolean');
    assert.equal(typeof canfork.canFork({ pid: 1, exact: true, trial: true }).verdict, 'string');
    expectSystemError(() => canfork.canFork({ pid: 4194304 }), 'ESRCH');
  }
  // Load and use the addon in workers that exit with a child still running.
  const entry = JSON.stringify(path.resolve(__dirname, '../dist/index.js'));
  await Promise.all([0, 1].map(() => new Promise((resolve, reject) => {
    const worker = new Worker(`
      const canfork = require(${entry});
      canfork.mmap(2 ** 20).unmap();
      canfork.spawnSync('true');
      canfork.spawn('sleep', ['0.2'], { stdio: 'ignore' }).on('spawn', () => process.exit(0));
    `, { eval: true });
    worker.on('error', reject);
    worker.on('exit', resolve);
  })));
  // A worker terminated inside spawnSync: the host lives on, the child is reaped by the blocking loop.
  await new Promise((resolve, reject) => {
    const worker = new Worker(`
      const canfork = require(${entry});
      require('node:worker_threads').parentPort.postMessage('in');
      canfork.spawnSync('sleep', ['0.2']);
    `, { eval: true });
    worker.once('message', () => sleep(50).then(() => worker.terminate()));
    worker.on('error', reject);
    worker.on('exit', resolve);
  });
  if (globalThis.gc) globalThis.gc();
  await sleep(500); // the worker's children end and are reaped
  console.log(`valgrind-drive: ${rounds} rounds ok`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
