// src/binding.ts against package trees laid out in a temporary directory: a damaged prebuild is skipped
// for the compiled build (and the other way round), and when nothing loads the error names every
// candidate and why. Each case loads dist/ in a fresh node, as a user's process would.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const work = mkdtempSync(path.join(tmpdir(), 'canfork-loader-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const goodAddon = path.join(root, 'build', 'Release', 'canfork.node');
const prebuild = path.join('prebuilds', `${process.platform}-${process.arch}`, 'canfork.node');

/** A package tree with dist/ and the given addon files ('good' or 'damaged'); returns its root. */
function packageWith(name: string, addons: Record<string, 'good' | 'damaged'>): string {
  const tree = path.join(work, name);
  mkdirSync(tree);
  cpSync(path.join(root, 'dist'), path.join(tree, 'dist'), { recursive: true });
  symlinkSync(path.join(root, 'node_modules'), path.join(tree, 'node_modules'));
  for (const [file, kind] of Object.entries(addons)) {
    mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
    if (kind === 'good') cpSync(goodAddon, path.join(tree, file));
    else writeFileSync(path.join(tree, file), 'not an ELF file\n');
  }
  return tree;
}

function load(tree: string, env: NodeJS.ProcessEnv = {}) {
  const environment: NodeJS.ProcessEnv = { ...process.env, CANFORK_DEBUG: '', CANFORK_ADDON_PATH: '', ...env };
  const run = spawnSync(process.execPath, ['-e', `
    try {
      const c = require(${JSON.stringify(path.join(tree, 'dist', 'index.js'))});
      console.log(JSON.stringify({ works: c.getrlimit('nofile').soft > 0, report: c.addonLoadReport() }));
    } catch (error) {
      console.log(JSON.stringify({ error: { code: error.code, message: error.message, candidates: error.candidates } }));
    }`], { encoding: 'utf8', env: environment });
  expect(run.status, run.stderr).toBe(0);
  return { ...JSON.parse(run.stdout), stderr: run.stderr } as {
    works?: boolean; stderr: string;
    report?: Array<{ path: string; loaded: boolean; reason?: string }>;
    error?: { code: string; message: string; candidates: Array<{ path: string; loaded: boolean; reason?: string }> };
  };
}

describe('the addon loader', () => {
  it('skips a damaged prebuild for the compiled build, keeping the reason (CANFORK_DEBUG prints it)', () => {
    const tree = packageWith('damaged-prebuild', { [prebuild]: 'damaged', 'build/Release/canfork.node': 'good' });
    const result = load(tree, { CANFORK_DEBUG: '1' });
    expect(result.works).toBe(true);
    expect(result.report).toEqual([
      { path: path.join(tree, prebuild), loaded: false, reason: expect.stringMatching(/invalid ELF header|too short/) },
      { path: path.join(tree, 'build/Release/canfork.node'), loaded: true },
    ]);
    expect(result.stderr).toMatch(new RegExp(`canfork: addon ${path.join(tree, prebuild)}: .*(invalid ELF header|too short)`));
  });

  it('uses a working prebuild and never reaches a damaged compiled build', () => {
    const tree = packageWith('damaged-build', { [prebuild]: 'good', 'build/Release/canfork.node': 'damaged' });
    const result = load(tree);
    expect(result.works).toBe(true);
    expect(result.report).toEqual([{ path: path.join(tree, prebuild), loaded: true }]);
    expect(result.stderr).toBe('');
  });

  it('falls through missing builds to cmake-js\'s output', () => {
    const tree = packageWith('cmake-only', { 'build-cmake/Release/canfork.node': 'good' });
    const result = load(tree);
    expect(result.works).toBe(true);
    expect(result.report!.map((candidate) => [path.relative(tree, candidate.path), candidate.reason ?? 'loaded'])).toEqual([
      [prebuild, 'not there'],
      ['build/Release/canfork.node', 'not there'],
      ['build/Debug/canfork.node', 'not there'],
      ['build-cmake/Release/canfork.node', 'loaded'],
    ]);
  });

  it('when nothing loads: one error naming every candidate and why, and how to compile', () => {
    const tree = packageWith('nothing-loads', { [prebuild]: 'damaged', 'build/Release/canfork.node': 'damaged' });
    const { error } = load(tree);
    expect(error!.code).toBe('ERR_CANFORK_ADDON');
    expect(error!.message).toMatch(/^canfork: no native addon loads here \(linux-\w+, Node v[\d.]+\)\. Tried:\n/);
    expect(error!.message).toMatch(new RegExp(`\\n  ${prebuild}: .*(invalid ELF header|too short)`));
    expect(error!.message).toMatch(/\n {2}build\/Release\/canfork\.node: .*(invalid ELF header|too short)/);
    expect(error!.message).toContain('\n  build/Debug/canfork.node: not there');
    expect(error!.message).toContain('\n  build-cmake/Release/canfork.node: not there');
    expect(error!.message).toContain('npm rebuild canfork');
    expect(error!.candidates).toHaveLength(4);
  });

  it('CANFORK_ADDON_PATH is taken alone: a bad one is an error naming it, not a silent fallback', () => {
    const tree = packageWith('override', { [prebuild]: 'good' });
    const { error } = load(tree, { CANFORK_ADDON_PATH: path.join(tree, 'missing.node') });
    expect(error!.code).toBe('ERR_CANFORK_ADDON');
    expect(error!.message).toContain(`CANFORK_ADDON_PATH=${path.join(tree, 'missing.node')} does not load`);
  });
});
