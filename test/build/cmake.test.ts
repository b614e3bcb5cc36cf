// The cmake-js build compiles the same sources with the same defines; prove its binary passes the
// native tests, not just that it links.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allOf, requireTool } from '../helpers/requirements';

const root = path.resolve(__dirname, '../..');
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);

const tools = allOf(requireTool('cmake', 'cmake'), requireTool('c++', 'g++'), requireTool('make', 'make'));

describe.skipIf(tools.skip)('cmake-js build', () => {
  it('builds canfork.node from CMakeLists.txt and that binary passes test/native', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'canfork-cmake-'));
    try {
      const build = spawnSync(bin('cmake-js'), ['rebuild', '--out', out], { cwd: root, encoding: 'utf8' });
      expect(build.status, build.stdout + build.stderr).toBe(0);
      const addon = path.join(out, 'Release', 'canfork.node');
      expect(existsSync(addon)).toBe(true);

      const run = spawnSync(bin('vitest'), ['run', '--project', 'unit', 'test/native'], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, CANFORK_ADDON_PATH: addon, NO_COLOR: '1', CI: 'true' },
      });
      expect(run.status, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toMatch(/Test Files\s+\d+ passed/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 300_000);
});
