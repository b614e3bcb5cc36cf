import { defineConfig } from 'vitest/config';

// Three projects; `npm test` runs the first two, one after the other:
// - unit: everything that leaves the machine as it found it, in parallel forked workers;
// - system: tests that change machine state (sysctl, cgroups, rlimits, users), one file at a time,
//   each restoring what it changed in `finally`;
// - stress: load and leak tests (test/stress), run on their own by `npm run test:stress`.
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/system/**', 'test/stress/**'] },
      },
      {
        extends: true,
        test: { name: 'system', include: ['test/system/**/*.test.ts'], fileParallelism: false },
      },
      {
        // `npm run test:stress`: thousands of spawns, one file at a time, alone on the machine's cores.
        extends: true,
        test: { name: 'stress', include: ['test/stress/**/*.test.ts'], fileParallelism: false, testTimeout: 300_000, execArgv: ['--expose-gc'] },
      },
    ],
  },
});
