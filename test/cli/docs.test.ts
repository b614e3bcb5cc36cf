// The documentation the CLI owns: Prometheus alerting rules (checked and unit-tested by the real
// promtool), the README's CLI section against --help, and the TypeDoc build without network.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasTool, isRoot, requireTool } from '../helpers/requirements';
import { repoRoot, runCanfork } from './processes';

const promtool = requireTool('promtool', 'prometheus');

const rules = path.join(repoRoot, 'docs', 'prometheus');

describe('docs', () => {
  it.skipIf(promtool.skip)('the alerting rules pass promtool check rules and their unit tests (promtool test rules)', () => {
    const check = spawnSync('promtool', ['check', 'rules', path.join(rules, 'canfork.rules.yml')], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('SUCCESS: 3 rules found');
    const test = spawnSync('promtool', ['test', 'rules', 'canfork.rules.test.yml'], { cwd: rules, encoding: 'utf8' });
    expect(test.status, test.stdout + test.stderr).toBe(0);
  });

  it('the README documents every option of --help, and its sample output fits 80 columns', () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const help = runCanfork(['--help']).stdout;
    const flags = [...new Set(help.match(/--[a-z]+/g))];
    expect(flags.length).toBeGreaterThan(8);
    const cliSection = readme.slice(readme.indexOf('## The canfork command'), readme.indexOf('## Library API'));
    for (const flag of flags) expect(cliSection, flag).toContain(flag);
    const samples = [...cliSection.matchAll(/```text\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(samples.length).toBeGreaterThan(0);
    for (const line of samples.join('').split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  });

  it('TypeDoc builds the API reference without network access', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'canfork-typedoc-'));
    try {
      const typedoc = [path.join(repoRoot, 'node_modules', '.bin', 'typedoc'), '--options', 'docs/typedoc.json', '--out', out];
      // As root, a fresh network namespace (no interfaces but loopback, down) proves no download happens.
      const offline = isRoot && hasTool('unshare');
      const result = offline
        ? spawnSync('unshare', ['-n', ...typedoc], { cwd: repoRoot, encoding: 'utf8' })
        : spawnSync(typedoc[0]!, typedoc.slice(1), { cwd: repoRoot, encoding: 'utf8' });
      expect(result.status, result.stdout + result.stderr).toBe(0);
      expect(existsSync(path.join(out, 'functions', 'canFork.html'))).toBe(true);
      expect(readFileSync(path.join(out, 'index.html'), 'utf8')).toContain('canfork');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
