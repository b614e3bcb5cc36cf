// The vfork core's C++ unit test (test/native/core-test.cc), built and run without Node by
// scripts/test-core.sh: so that every unit run also runs it. The sanitized build runs in scripts/asan.sh.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const hasCompiler = spawnSync('sh', ['-c', 'command -v "${CXX:-g++}"']).status === 0;
if (!hasCompiler) console.log('skipping the core unit test: no g++ (Debian package g++)');

describe.runIf(hasCompiler)('the vfork core without Node', () => {
  it('scripts/test-core.sh builds test/native/core-test.cc with native/core and every check passes', () => {
    const run = spawnSync('bash', ['scripts/test-core.sh'], { cwd: root, encoding: 'utf8', timeout: 170_000 });
    expect(run.stdout.split('\n').filter((line) => line.startsWith('FAIL'))).toEqual([]);
    expect(run.stdout).toContain('core-test passed: 0 failed');
    expect(run.status).toBe(0);
  }, 180_000);
});
