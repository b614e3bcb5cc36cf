import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { getrlimit, mmap } from '../../src/index';

const entry = require.resolve('../../dist/index.js');

// Runs in the worker: every family, including a system error built by that worker's own factory.
const workerSource = `
  const { parentPort } = require('node:worker_threads');
  const canfork = require(${JSON.stringify(entry)});
  const mapping = canfork.mmap(2 ** 30, { dontfork: true });
  const address = mapping.address.toString(16);
  mapping.unmap();
  let error;
  try { canfork.prlimit(4194304, 'nofile'); } catch (e) { error = { code: e.code, syscall: e.syscall, isError: e instanceof Error }; }
  parentPort.postMessage({ address, nofile: canfork.getrlimit('nofile'), trial: canfork.tryAllocate(2 ** 30), error });
`;

// Resolves with the worker's one message once it has exited; an error or an exit without a message
// rejects at once with what happened instead of waiting for the test timeout.
function runWorker(): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerSource, { eval: true });
    let message: unknown;
    worker.once('message', (value) => (message = value));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (message === undefined) reject(new Error(`worker exited with code ${code} before reporting`));
      else resolve(message);
    });
  });
}

describe('loading in worker threads', () => {
  it('works in two workers at once and keeps working in the main thread after they exit', async () => {
    const results = await Promise.all([runWorker(), runWorker()]);
    for (const result of results) {
      expect(result).toMatchObject({
        nofile: getrlimit('nofile'),
        trial: { ok: true },
        error: { code: 'ESRCH', syscall: 'prlimit', isError: true },
      });
    }
    const mapping = mmap(4096);
    expect(mapping.mapped).toBe(true);
    mapping.unmap();
  });
});
