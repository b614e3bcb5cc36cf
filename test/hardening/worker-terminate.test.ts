// worker.terminate() while the worker is inside a canfork native call must not end the process: the
// result cannot be thrown into a stopping environment, and no C++ exception may escape (before the entry
// guard of native/addon.h: "terminate called after throwing an instance of 'Napi::Error'", exit 134).
// Children the worker started are still reaped and its pipe ends closed. Each call runs in a fresh node,
// 20 terminations, then that node checks for children of its own left (zombie or running) and new fds.
import { describe, expect, it } from 'vitest';
import { distEntry, jsonOf, runNode } from './run-node';

const ROUNDS = 20;

// Each body is entered right after the worker says 'in'; the host terminates it 20-100 ms later.
const calls: Record<string, string> = {
  'spawnSync': `canfork.spawnSync('/bin/sleep', ['0.3'], { stdio: 'pipe' });`,
  'spawn': `for (;;) canfork.spawn('/bin/sleep', ['0.2'], { stdio: 'pipe' });`,
  'mmap': `for (;;) canfork.mmap(2 ** 20).unmap();`,
  'blocking waitpid': `const child = canfork.spawn('/bin/sleep', ['0.3'], { stdio: 'ignore' }); canfork.waitpid(child.pid);`,
  'canFork': `for (;;) canfork.canFork();`,
  'getrlimit': `for (;;) canfork.getrlimit('nofile');`,
};

function hostSource(body: string): string {
  return `
    const { Worker } = require('node:worker_threads');
    const fs = require('node:fs');
    // Open fds, less the one readdir holds on /proc/self/fd while listing it.
    const fds = () => fs.readdirSync('/proc/self/fd').flatMap((fd) => {
      try { const target = fs.readlinkSync('/proc/self/fd/' + fd); return target.endsWith('/fd') ? [] : [fd + ' ' + target]; } catch { return []; }
    });
    const children = () => fs.readdirSync('/proc').filter((entry) => /^\\d+$/.test(entry)).flatMap((pid) => {
      try {
        const fields = fs.readFileSync('/proc/' + pid + '/stat', 'utf8').split(') ')[1].split(' ');
        return Number(fields[1]) === process.pid ? [pid + ' ' + fields[0]] : [];
      } catch { return []; }
    });
    // A thread that cannot be created yet (EAGAIN: a busy or sanitizer-heavy machine still releasing the last
    // worker's) is tried again; it says nothing about the call under test.
    const startWorker = async (source) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return new Worker(source, { eval: true });
        } catch (error) {
          if (error.code !== 'ERR_WORKER_INIT_FAILED' || !/EAGAIN/.test(error.message) || attempt >= 20) throw error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    const terminated = (source, round) => startWorker(source).then((worker) => new Promise((resolve, reject) => {
      worker.once('message', () => setTimeout(() => worker.terminate(), 20 + (round % 5) * 20));
      worker.once('error', reject);
      worker.once('exit', resolve);
    }));
    const enter = "require('node:worker_threads').parentPort.postMessage('in');";
    (async () => {
      // Node itself opens /dev/null in the host the first time it terminates a worker (a pure JavaScript
      // one too): one warm-up termination before the fds are counted.
      await terminated(enter + ' for (;;) {}', 0);
      const before = fds();
      for (let round = 0; round < ${ROUNDS}; round++) {
        await terminated('const canfork = require(${JSON.stringify(distEntry)});' + enter + ${JSON.stringify(body)}, round);
      }
      // The children sleep at most 0.3 s: wait for them to be gone (reaped), up to 10 s.
      for (let waited = 0; children().length > 0 && waited < 200; waited++) await new Promise((r) => setTimeout(r, 50));
      console.log(JSON.stringify({ children: children(), fdsAdded: fds().filter((fd) => !before.includes(fd)) }));
    })();
  `;
}

describe(`worker.terminate() ${ROUNDS} times inside each native call`, () => {
  for (const [name, body] of Object.entries(calls)) {
    it(`${name}: the host exits 0, no child of it is left (zombie or not), no fd is added`, () => {
      const run = runNode(hostSource(body), { loadCanfork: false, spawn: { timeout: 170_000 } });
      expect({ status: run.status, signal: run.signal, stderr: run.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
      expect(jsonOf(run)).toEqual({ children: [], fdsAdded: [] });
    }, 180_000);
  }
});
