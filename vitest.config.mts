import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vitest/config';

const root = path.dirname(fileURLToPath(import.meta.url));
const src = path.join(root, 'src') + path.sep;
const dist = path.join(root, 'dist') + path.sep;

// One copy of the library under test: a test's import of src/x resolves to dist/x.js, the build that
// the subprocesses of other tests run (test/helpers/global-setup.ts builds it once, before the run).
// dist/ is loaded by Node itself (external), so every import shares Node's one module cache with the
// in-process requires of dist/, and the test files stay untouched.
const testsImportDist: Plugin = {
  name: 'canfork-tests-import-dist',
  enforce: 'pre',
  resolveId(source, importer) {
    if (!importer || !source.startsWith('.') || importer.includes(`${path.sep}node_modules${path.sep}`)) return null;
    const target = path.resolve(path.dirname(importer), source);
    if (!(target + path.sep).startsWith(src)) return null;
    const relative = path.relative(src, target).replace(/\.(ts|js)$/, '');
    const file = relative === '' ? 'index' : relative;
    const resolved = path.join(dist, `${file}.js`);
    return { id: resolved, external: true };
  },
};

// Three projects; `npm test` runs the first two, one after the other:
// - unit: everything that leaves the machine as it found it, in parallel forked workers;
// - system: tests that change machine state (sysctl, cgroups, rlimits, users), one file at a time,
//   each restoring what it changed in `finally`; they run only with CANFORK_SYSTEM_TESTS=1;
// - stress: load and leak tests (test/stress), run on their own by `npm run test:stress`.
export default defineConfig({
  plugins: [testsImportDist],
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    globalSetup: ['test/helpers/global-setup.ts'],
    server: { deps: { external: [new RegExp(`^${dist.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)] } },
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/system/**', 'test/stress/**', 'test/clone/**'] },
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
      {
        // `npm run test:clone`: a fresh clone, the README's commands as root and as nobody. Long; CI runs it as its own step.
        extends: true,
        test: { name: 'clone', include: ['test/clone/**/*.test.ts'], fileParallelism: false, testTimeout: 3_600_000, hookTimeout: 600_000 },
      },
    ],
  },
});
