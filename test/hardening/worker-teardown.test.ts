// A worker that exits while its children live or die must not take the host process with it.
// Each case runs in its own node: a crash there is a failed test, not a dead vitest worker.
import { describe, expect, it } from 'vitest';
import { distEntry, runNode } from './run-node';

const workerEntry = JSON.stringify(distEntry);

describe('worker teardown with children', () => {
  // Only the worker loads canfork, so Node unloads (dlclose) the addon when the worker ends. A child
  // still running then must still be reaped, and nothing may run code of the unloaded addon.
  it('the addon loaded only in a worker that exits with a child running: the host lives on, the child is reaped', () => {
    const run = runNode(`
      const { Worker } = require('node:worker_threads');
      const fs = require('node:fs');
      const worker = new Worker(\`
        const canfork = require(${workerEntry});
        const child = canfork.spawn('sleep', ['0.3'], { stdio: 'ignore' });
        child.on('spawn', () => { require('node:worker_threads').parentPort.postMessage(child.pid); process.exit(0); });
      \`, { eval: true });
      worker.once('message', (pid) => setTimeout(() => {
        let state = 'gone';
        try { state = fs.readFileSync('/proc/' + pid + '/stat', 'utf8').split(') ')[1][0]; } catch {}
        console.log(JSON.stringify({ state }));
      }, 1500));
    `, { loadCanfork: false });
    expect({ status: run.status, signal: run.signal, stderr: run.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    expect(run.stdout.trim()).toBe(JSON.stringify({ state: 'gone' }));
  });

  // Children that exit while their worker is being torn down: their exit callbacks run on a loop whose
  // JavaScript can no longer be entered.
  it('200 workers that exit while their 20 children exit: the host lives on and no child is left a zombie', () => {
    const run = runNode(`
      const { Worker } = require('node:worker_threads');
      const source = \`
        const canfork = require(${workerEntry});
        for (let i = 0; i < 20; i++) canfork.spawn('true', { stdio: 'ignore' });
        setTimeout(() => process.exit(0), Number(require('node:worker_threads').workerData));
      \`;
      (async () => {
        for (let i = 0; i < 200; i++) {
          await new Promise((resolve, reject) => {
            const worker = new Worker(source, { eval: true, workerData: i % 3 });
            worker.on('error', reject);
            worker.on('exit', resolve);
          });
        }
        setTimeout(() => {
          const zombies = require('node:fs').readdirSync('/proc').filter((entry) => {
            try { const stat = require('node:fs').readFileSync('/proc/' + entry + '/stat', 'utf8').split(') ')[1].split(' ');
                  return stat[0] === 'Z' && Number(stat[1]) === process.pid; } catch { return false; }
          });
          console.log(JSON.stringify({ zombies }));
        }, 500);
      })();
    `, { spawn: { timeout: 280_000 } });
    expect({ status: run.status, signal: run.signal, stderr: run.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    expect(run.stdout.trim()).toBe(JSON.stringify({ zombies: [] }));
    // 200 worker starts take 60-140 s on a loaded 2-core machine: a bound for a hang, not a timing claim.
  }, 300_000);
});
