// `npm pack` alone must yield a tarball that installs and runs with no compiler anywhere on PATH, holds
// exactly the allowed files (LICENSE; source maps only to shipped sources), and, with its prebuild
// damaged, installs by compiling and still loads, the prebuild's failure kept for diagnosis.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allOf, requireTool } from '../helpers/requirements';

const root = path.resolve(__dirname, '../..');
// npm's own entry script, run with this node (under `npm test`, npm says where it is).
const npmCli = process.env.npm_execpath ?? realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());

function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [npmCli, ...args], { cwd, encoding: 'utf8', env });
}

/** Everything the tarball may hold; anything else fails the test (add it here on purpose). */
const ALLOWED = [
  /^package\.json$/, /^README\.md$/, /^LICENSE$/, /^binding\.gyp$/, /^CMakeLists\.txt$/,
  /^scripts\/(install|nodedir)\.js$/,
  /^toolchain\/(glibc-compat\.cc|link\.js)$/,
  /^native\/[\w/-]+\.(cc|h)$/,
  /^src\/[\w/-]+\.m?ts$/,
  /^dist\/[\w/-]+\.(m?js|d\.m?ts)(\.map)?$/,
  /^prebuilds\/linux-(x64|arm64)\/canfork\.node$/,
];
const REQUIRED = ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts', 'scripts/install.js', 'prebuilds/linux-x64/canfork.node'];

const compilers = allOf(requireTool('c++', 'g++'), requireTool('make', 'make'), requireTool('python3', 'python3'), requireTool('tar', 'tar'));

describe.skipIf(compilers.skip)('npm pack', () => {
  it('holds prebuilds/linux-x64 and installs into an empty project with no compiler on PATH', () => {
    const work = mkdtempSync(path.join(tmpdir(), 'canfork-pack-'));
    try {
      // Pack from a copy so that prebuildify's rebuild never touches the build/ other tests load.
      const source = path.join(work, 'source');
      for (const entry of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'binding.gyp', 'CMakeLists.txt', 'README.md', 'LICENSE', 'native', 'src', 'scripts', 'toolchain']) {
        cpSync(path.join(root, entry), path.join(source, entry), { recursive: true });
      }
      symlinkSync(path.join(root, 'node_modules'), path.join(source, 'node_modules'));
      // The host's prebuild is what this test installs; the arm64 cross build has its own check (test:portable).
      const pack = npm(['pack', '--json', '--pack-destination', work], source, { ...process.env, CANFORK_PREBUILD_HOST_ONLY: '1' });
      expect(pack.status, pack.stderr).toBe(0);
      const [{ filename, files }] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as [{ filename: string; files: { path: string }[] }];
      const paths = files.map((file) => file.path);
      expect(paths).toContain('prebuilds/linux-x64/canfork.node');
      expect(paths).toContain('dist/index.d.ts');
      expect(paths.some((p) => p.startsWith('test/') || p.startsWith('build/'))).toBe(false);
      expect(paths.filter((p) => !ALLOWED.some((pattern) => pattern.test(p))), 'files outside the allow-list').toEqual([]);
      for (const required of REQUIRED) expect(paths).toContain(required);
      // Every source map points at files the tarball has (src/ is shipped for them).
      const shipped = new Set(paths);
      for (const map of paths.filter((p) => p.endsWith('.map'))) {
        const { sources } = JSON.parse(readFileSync(path.join(source, map), 'utf8')) as { sources: string[] };
        for (const file of sources) expect(shipped.has(path.posix.join(path.posix.dirname(map), file)), `${map} -> ${file}`).toBe(true);
      }

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

      // The same tarball with its prebuild damaged (as an older glibc or musl would reject it): install
      // compiles (offline, with this node's headers), require works, and the prebuild's error is kept.
      const damaged = path.join(work, 'damaged');
      mkdirSync(damaged);
      execFileSync('tar', ['-xzf', path.join(work, filename), '-C', damaged]);
      writeFileSync(path.join(damaged, 'package', 'prebuilds', 'linux-x64', 'canfork.node'), 'not an ELF file\n');
      execFileSync('tar', ['-czf', path.join(work, 'damaged.tgz'), '-C', damaged, 'package']);
      const project2 = path.join(work, 'project2');
      mkdirSync(project2);
      writeFileSync(path.join(project2, 'package.json'), '{ "name": "consumer2", "version": "1.0.0", "private": true }');
      const fromSource = npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', path.join(work, 'damaged.tgz')], project2);
      expect(fromSource.status, fromSource.stdout + fromSource.stderr).toBe(0);
      expect(fromSource.stdout + fromSource.stderr).toMatch(/prebuild prebuilds\/linux-x64\/canfork\.node does not load here \(.*\); compiling from source/);
      expect(existsSync(path.join(project2, 'node_modules/canfork/build/Release/canfork.node'))).toBe(true);
      const diagnosed = spawnSync(process.execPath, ['-e', `
        const c = require('canfork');
        console.log(JSON.stringify({ nofile: c.getrlimit('nofile').soft > 0, report: c.addonLoadReport() }));`],
      { cwd: project2, encoding: 'utf8', env: { ...process.env, CANFORK_DEBUG: '1' } });
      expect(diagnosed.status, diagnosed.stderr).toBe(0);
      const { nofile, report } = JSON.parse(diagnosed.stdout) as { nofile: boolean; report: Array<{ path: string; loaded: boolean; reason?: string }> };
      expect(nofile).toBe(true);
      const installed = path.join(realpathSync(project2), 'node_modules', 'canfork');
      expect(report[0]).toMatchObject({ path: path.join(installed, 'prebuilds/linux-x64/canfork.node'), loaded: false, reason: expect.stringMatching(/invalid ELF header|too short/) });
      expect(report.at(-1)).toEqual({ path: path.join(installed, 'build/Release/canfork.node'), loaded: true });
      expect(diagnosed.stderr).toContain('prebuilds/linux-x64/canfork.node: ');
      expect(diagnosed.stderr).toContain('build/Release/canfork.node: loaded');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 300_000);
});
