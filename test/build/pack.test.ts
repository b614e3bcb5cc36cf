// `npm pack` alone must yield a tarball that installs and runs with no compiler anywhere on PATH.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, realpathSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
// npm's own entry script, run with this node (under `npm test`, npm says where it is).
const npmCli = process.env.npm_execpath ?? realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());

function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [npmCli, ...args], { cwd, encoding: 'utf8', env });
}

describe('npm pack', () => {
  it('holds prebuilds/linux-x64 and installs into an empty project with no compiler on PATH', () => {
    const work = mkdtempSync(path.join(tmpdir(), 'canfork-pack-'));
    try {
      // Pack from a copy so that prebuildify's rebuild never touches the build/ other tests load.
      const source = path.join(work, 'source');
      for (const entry of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'binding.gyp', 'CMakeLists.txt', 'README.md', 'native', 'src', 'scripts']) {
        cpSync(path.join(root, entry), path.join(source, entry), { recursive: true });
      }
      symlinkSync(path.join(root, 'node_modules'), path.join(source, 'node_modules'));
      const pack = npm(['pack', '--json', '--pack-destination', work], source);
      expect(pack.status, pack.stderr).toBe(0);
      const [{ filename, files }] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as [{ filename: string; files: { path: string }[] }];
      const paths = files.map((file) => file.path);
      expect(paths).toContain('prebuilds/linux-x64/canfork.node');
      expect(paths).toContain('dist/index.d.ts');
      expect(paths.some((p) => p.startsWith('test/') || p.startsWith('build/'))).toBe(false);

      // PATH holds node and sh (npm runs scripts with it) alone: no cc, c++, make or python.
      const bin = path.join(work, 'bin');
      mkdirSync(bin);
      symlinkSync(process.execPath, path.join(bin, 'node'));
      symlinkSync('/bin/sh', path.join(bin, 'sh'));
      const project = path.join(work, 'project');
      mkdirSync(project);
      writeFileSync(path.join(project, 'package.json'), '{ "name": "consumer", "version": "1.0.0", "private": true }');
      const env = { ...process.env, PATH: bin };
      const install = npm(['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(work, filename)], project, env);
      expect(install.status, install.stdout + install.stderr).toBe(0);
      expect(existsSync(path.join(project, 'node_modules/canfork/build')), 'install compiled instead of using the prebuild').toBe(false);

      const use = spawnSync(path.join(bin, 'node'), ['-e', `
        const c = require('canfork');
        const m = c.mmap(2 ** 30);
        console.log(JSON.stringify({ trial: c.tryAllocate(2 ** 30), nofile: c.getrlimit('nofile').soft > 0, mapped: m.mapped }));
        m.unmap();`], { cwd: project, encoding: 'utf8', env });
      expect(use.stderr).toBe('');
      expect(JSON.parse(use.stdout)).toEqual({ trial: { ok: true }, nofile: true, mapped: true });
      const esm = spawnSync(path.join(bin, 'node'), ['--input-type=module', '-e', "import { getrlimit } from 'canfork'; console.log(typeof getrlimit('nproc').soft)"], { cwd: project, encoding: 'utf8', env });
      expect(esm.stdout.trim()).toBe('number');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 300_000);
});
