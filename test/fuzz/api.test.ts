// Random JavaScript values into every public function (test/fuzz/api-fuzz.cjs), in a node of its own:
// only TypeError, RangeError and system errors may come out; a crash or a hang fails here instead of
// killing the vitest worker.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { expect, it } from 'vitest';
import * as canfork from '../../src/index';

const RUNS = Number(process.env.CANFORK_FUZZ_RUNS ?? 300);

it('random arguments to every exported function: typed errors only, no crash, no hang', () => {
  const seed = Math.floor(Math.random() * 2 ** 31);
  const result = spawnSync(process.execPath, [path.join(__dirname, 'api-fuzz.cjs'), require.resolve('../../dist/index.js'), String(RUNS), String(seed)], {
    encoding: 'utf8', timeout: 120_000,
  });
  expect({ status: result.status, signal: result.signal, stderr: result.stderr }, `seed ${seed}`).toEqual({ status: 0, signal: null, stderr: '' });
  const report = JSON.parse(result.stdout.trim().split('\n').pop()!) as {
    stats: Record<string, { calls: number; stray: number }>;
    strays: unknown[];
  };
  // A stray is anything but a TypeError/RangeError with Node's ERR_* code, a system error, or execSync's
  // 'Command failed' error.
  expect(report.strays, `seed ${seed}`).toEqual([]);
  // Every exported function was called (RLIMIT_RESOURCES and the types are not functions).
  const functions = Object.entries(canfork).filter(([, value]) => typeof value === 'function').map(([name]) => name).sort();
  const called = Object.keys(report.stats).filter((name) => !name.includes(' ') && !name.includes('.'));
  // fork would start a node per call, register would patch the fuzzing process: tested elsewhere.
  expect(functions.filter((name) => !called.includes(name))).toEqual(['fork', 'isRegistered', 'register']);
  console.log(`api fuzz, seed ${seed}: ${JSON.stringify(report.stats)}`);
});
