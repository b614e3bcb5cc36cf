// The pieces behind the operator-facing options, on built data: argument checks, the JSON schema version,
// bounded per-process series, the shared scan of --serve, and a scan that gives the event loop its turns.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseCliArgs, UsageError } from '../../src/cli/args';
import { renderJson } from '../../src/cli/json';
import { processesWithSeries, renderPrometheus, renderServerCounters } from '../../src/cli/prometheus';
import { scan, scanAsync } from '../../src/cli/scan';
import { ScrapeCache } from '../../src/cli/scrape-cache';
import { colourWanted } from '../../src/cli/style';
import { bigVmaReport, builtSource, entry, nprocAtRiskReport, okReport, prometheusOptions, scanOf } from './fixtures';

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
if (!hasPromtool) console.log('skipped: promtool is not installed (Debian package prometheus)');

describe('arguments', () => {
  it('--host must be an IP address (or localhost): empty and unparsable are usage errors', () => {
    for (const host of ['', '0', '1.2.3', 'example.com', ' 127.0.0.1']) {
      expect(() => parseCliArgs(['--serve', '0', '--host', host]), host).toThrow(UsageError);
    }
    expect(() => parseCliArgs(['--serve', '0', '--host=0'])).toThrow(UsageError);
    for (const host of ['127.0.0.1', '::1', '0.0.0.0', '::', '10.1.2.3']) {
      expect(parseCliArgs(['--serve', '0', '--host', host]).host).toBe(host);
    }
    expect(parseCliArgs(['--serve', '0', '--host', 'localhost']).host).toBe('127.0.0.1'); // no resolver thread
  });

  it('--color, and the --serve options with their defaults and ranges', () => {
    expect(parseCliArgs([]).colour).toBe('auto');
    expect(parseCliArgs(['--color=never']).colour).toBe('never');
    expect(() => parseCliArgs(['--color=sometimes'])).toThrow(UsageError);
    const defaults = parseCliArgs(['--serve', '0']);
    expect(defaults).toMatchObject({ minIntervalSeconds: 1, maxConnections: 64, maxProcessSeries: 20 });
    expect(parseCliArgs(['--serve', '0', '--min-interval', '0.5', '--max-connections', '8']))
      .toMatchObject({ minIntervalSeconds: 0.5, maxConnections: 8 });
    expect(() => parseCliArgs(['--min-interval', '1'])).toThrow('--min-interval needs --serve');
    expect(() => parseCliArgs(['--serve', '0', '--max-connections', '0'])).toThrow(UsageError);
    expect(parseCliArgs(['--prometheus', '--max-process-series', '0']).maxProcessSeries).toBe(0);
  });

  it('--watch streams --json; --watch --prometheus is refused', () => {
    expect(parseCliArgs(['--watch', '1', '--json'])).toMatchObject({ format: 'json', watchSeconds: 1 });
    expect(() => parseCliArgs(['--watch', '1', '--prometheus'])).toThrow(UsageError);
  });

  it('--serve refuses --trial: the exporter creates no task per scrape', () => {
    expect(() => parseCliArgs(['--serve', '0', '--trial'])).toThrow(/does not go with --serve/);
    expect(parseCliArgs(['--trial'])).toMatchObject({ trial: true });
  });

  it('--color=always and never win over NO_COLOR and FORCE_COLOR; auto follows them', () => {
    expect(colourWanted({ isTTY: false }, {}, 'always')).toBe(true);
    expect(colourWanted({ isTTY: true }, { FORCE_COLOR: '1' }, 'never')).toBe(false);
    expect(colourWanted({ isTTY: true }, { NO_COLOR: '1' }, 'auto')).toBe(false);
    expect(colourWanted({ isTTY: false }, { FORCE_COLOR: '1' }, 'auto')).toBe(true);
  });
});

describe('JSON', () => {
  it('carries schemaVersion 1; compact is one line', () => {
    const result = scanOf([entry(okReport(3), 'a')]);
    expect(JSON.parse(renderJson(result)).schemaVersion).toBe(1);
    const compact = renderJson(result, { compact: true });
    expect(compact).not.toContain('\n');
    expect(JSON.parse(compact)).toEqual(JSON.parse(renderJson(result)));
  });
});

describe('bounded per-process series', () => {
  const many = [
    ...Array.from({ length: 30 }, (_, index) => entry(okReport(100 + index), `ok${index}`)),
    entry(bigVmaReport(7), 'stuck'),
    entry(bigVmaReport(8), 'stuck2'),
    entry(nprocAtRiskReport(9), 'risky'),
  ];

  it('every process that cannot fork or is at risk, plus the N nearest to failing', () => {
    expect(processesWithSeries(scanOf(many), 5).map((e) => e.pid).slice(0, 3).sort()).toEqual([7, 8, 9]);
    expect(processesWithSeries(scanOf(many), 5)).toHaveLength(8);
    expect(processesWithSeries(scanOf(many), 0)).toHaveLength(3);
    const text = renderPrometheus(scanOf(many), { ...prometheusOptions, maxProcessSeries: 5 });
    expect(text.match(/^canfork_process_can_fork\{/gm)).toHaveLength(8);
    expect(text).toMatch(/^canfork_process_series 8$/m);
    expect(text).toMatch(/^canfork_processes\{verdict="ok"\} 30$/m); // the rest are counted
  });

  it('build info and scrape errors; the whole exposition passes promtool', () => {
    const unreadable = { ...entry(null, 'odd', 11), error: { code: 'ERR_CANFORK_PROCFS_PARSE', message: 'unexpected line' } };
    const text = renderPrometheus(scanOf([...many, unreadable]), prometheusOptions) + renderServerCounters({ scans: 3, closedByLimits: 2 });
    expect(text).toContain('canfork_build_info{version="0.1.0",node_version="v20.0.0",kernel="6.18.0"} 1');
    expect(text).toMatch(/^canfork_scrape_errors 1$/m);
    expect(text).toMatch(/^# TYPE canfork_scans_total counter$/m);
    if (!hasPromtool) return;
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`).toBe('');
  });
});

describe('ScrapeCache', () => {
  it('concurrent scrapes share one scan; a young result is reused; a failed scan is retried', async () => {
    let scans = 0;
    let fail = false;
    const cache = new ScrapeCache(async () => {
      scans++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (fail) throw new Error('scan failed');
      return `body ${scans}`;
    }, 60_000);
    const bodies = await Promise.all(Array.from({ length: 50 }, () => cache.current()));
    expect(new Set(bodies.map((b) => b.body))).toEqual(new Set(['body 1']));
    expect((await cache.current()).body).toBe('body 1'); // younger than the interval
    expect(scans).toBe(1);

    const eager = new ScrapeCache(async () => {
      scans++;
      if (fail) throw new Error('scan failed');
      return `body ${scans}`;
    }, 0);
    fail = true;
    await expect(eager.current()).rejects.toThrow('scan failed');
    fail = false;
    expect((await eager.current()).body).toBe(`body ${scans}`);
    expect(eager.scans).toBe(2);
  });
});

describe('scanAsync', () => {
  it('gives the event loop turns while it scans, and finds what scan finds', async () => {
    const reports = new Map(Array.from({ length: 20 }, (_, index) => [index + 1, okReport(index + 1)] as const));
    const source = builtSource(reports);
    const slow = {
      ...source,
      snapshotMachine() {
        const view = source.snapshotMachine();
        return {
          ...view,
          canFork: (pid: number, options: { trial: boolean; exact: boolean }) => {
            for (const until = performance.now() + 2; performance.now() < until;); // 2 ms of work per process
            return view.canFork(pid, options);
          },
        };
      },
    };
    let turns = 0;
    let ticking = true;
    const tick = (): void => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const result = await scanAsync(slow, { pids: [], all: false, trial: false }, 4);
    ticking = false;
    expect(turns).toBeGreaterThanOrEqual(5); // 40 ms of work, a turn after every 4 ms of it
    const syncResult = scan(slow, { pids: [], all: false, trial: false });
    expect({ ...result, durationSeconds: 0, takenAt: null }).toEqual({ ...syncResult, durationSeconds: 0, takenAt: null });
  });
});
