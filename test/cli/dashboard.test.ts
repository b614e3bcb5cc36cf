// The Grafana dashboard in docs/grafana: every PromQL expression in it parses (promtool check rules, each
// expression a recording rule), and every canfork_* metric it names is one that canfork exports.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { renderServerCounters } from '../../src/cli/prometheus';
import { registerForkMetrics } from '../../src/prom-client';
import { repoRoot, runCanfork } from './processes';

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
if (!hasPromtool) console.log('skipped: promtool is not installed (Debian package prometheus)');

// Machine gauges that the zombie and memory-pressure readers add to the exporter; until they are merged they
// are the only names the dashboard may use without this branch exporting them.
const FROM_THE_CONTAINER_READERS = new Set(['canfork_zombies', 'canfork_memory_pressure_ratio', 'canfork_oom_kills']);

interface Panel {
  title: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

const dashboard = JSON.parse(readFileSync(path.join(repoRoot, 'docs', 'grafana', 'canfork.json'), 'utf8')) as {
  panels: Panel[];
  templating: { list: { query?: unknown; definition?: string }[] };
};

function expressions(): { title: string; expr: string }[] {
  const walk = (panels: Panel[]): { title: string; expr: string }[] => panels.flatMap((panel) => [
    ...(panel.targets ?? []).flatMap((target) => (target.expr ? [{ title: panel.title, expr: target.expr }] : [])),
    ...walk(panel.panels ?? []),
  ]);
  return walk(dashboard.panels);
}

/** Grafana's variables replaced by what they stand for, so that promtool sees plain PromQL. */
function plain(expr: string): string {
  return expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m').replace(/\$\{?instance\}?/g, '.*');
}

describe('the Grafana dashboard', () => {
  it('has panels, each with at least one PromQL expression', () => {
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(8);
    for (const panel of dashboard.panels) expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
  });

  it.runIf(hasPromtool)('every expression passes promtool check rules', () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'canfork-dashboard-'));
    try {
      const all = expressions();
      const rules = ['groups:', '  - name: dashboard', '    rules:',
        ...all.flatMap(({ expr }, index) => [`      - record: dashboard:expression_${index}`, `        expr: ${JSON.stringify(plain(expr))}`])];
      const file = path.join(directory, 'dashboard.rules.yml');
      writeFileSync(file, `${rules.join('\n')}\n`);
      const check = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      expect(check.status, check.stdout + check.stderr).toBe(0);
      expect(check.stdout).toContain(`SUCCESS: ${all.length} rules found`);
      // promtool is the real one: a broken expression is refused.
      writeFileSync(file, 'groups:\n  - name: broken\n    rules:\n      - record: broken:one\n        expr: "sum by (instance (canfork_pids)"\n');
      expect(spawnSync('promtool', ['check', 'rules', file]).status).not.toBe(0);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('names only metrics that canfork exports (--prometheus, --serve, canfork/prom-client)', async () => {
    const exposition = runCanfork(['--prometheus']).stdout;
    const registry = new Registry();
    registerForkMetrics(registry);
    const exported = new Set([
      ...`${exposition}\n${await registry.metrics()}\n${renderServerCounters({ scans: 1, closedByLimits: 0 })}`
        .matchAll(/^# TYPE (canfork_\w+) /gm),
    ].map((match) => match[1]!));
    const used = new Set([
      ...expressions().flatMap(({ expr }) => expr.match(/canfork_\w+/g) ?? []),
      ...dashboard.templating.list.flatMap((variable) => variable.definition?.match(/canfork_\w+/g) ?? []),
    ]);
    const unknown = [...used].filter((name) => !exported.has(name) && !FROM_THE_CONTAINER_READERS.has(name));
    expect(unknown).toEqual([]);
    expect(used.size).toBeGreaterThan(10);
  });
});
