// canfork/prom-client in a prom-client Registry: the canfork series, valid exposition (promtool), computed at
// each scrape; and in a process holding a merged mapping larger than RAM + swap, the verdict that it cannot fork.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerForkMetrics } from '../../src/prom-client';
import { repoRoot } from './processes';

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
if (!hasPromtool) console.log('skipped: promtool is not installed (Debian package prometheus)');
const mode0 = readFileSync('/proc/sys/vm/overcommit_memory', 'utf8').trim() === '0';
if (!mode0) console.log('skipped: the cannot-fork case needs vm.overcommit_memory=0');

function line(text: string, pattern: string): string | undefined {
  return text.split('\n').find((each) => each.startsWith(pattern));
}

describe('registerForkMetrics', () => {
  it('adds this process\'s verdict, headroom and task limits to the registry', async () => {
    const registry = new Registry();
    registerForkMetrics(registry);
    const text = await registry.metrics();
    expect(line(text, `canfork_process_can_fork{pid="${process.pid}"}`)).toBe(`canfork_process_can_fork{pid="${process.pid}"} 1`);
    expect(line(text, `canfork_process_verdict{pid="${process.pid}",verdict="`)).toMatch(/verdict="(ok|at-risk)"\} 1$/);
    expect(line(text, `canfork_process_fork_headroom_bytes{pid="${process.pid}"}`)).toMatch(/ \d+$/);
    expect(line(text, `canfork_process_tasks_limit{pid="${process.pid}",limit="threads-max"}`))
      .toBe(`canfork_process_tasks_limit{pid="${process.pid}",limit="threads-max"} ${readFileSync('/proc/sys/kernel/threads-max', 'utf8').trim()}`);
    expect(line(text, `canfork_process_tasks_limit{pid="${process.pid}",limit="pid-max"}`))
      .toBe(`canfork_process_tasks_limit{pid="${process.pid}",limit="pid-max"} ${readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim()}`);
    expect(text).toMatch(/^canfork_scrape_errors 0$/m);
  });

  it.runIf(hasPromtool)('its exposition passes promtool check metrics', async () => {
    // Without prom-client's default metrics: some of those (nodejs_active_handles_total) fail promtool's lint.
    const registry = new Registry();
    registerForkMetrics(registry);
    registerForkMetrics(registry, { pid: 1 });
    const text = await registry.metrics();
    expect(text).toContain('canfork_process_can_fork{pid="1"}');
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.status).toBe(0);
  });

  it('a target that is gone has no series and counts in canfork_scrape_errors', async () => {
    const registry = new Registry();
    registerForkMetrics(registry, { pid: 4194303 });
    const text = await registry.metrics();
    expect(text).not.toContain('pid="4194303"');
    expect(text).toMatch(/^canfork_scrape_errors 1$/m);
  });

  it('bad arguments are TypeError/RangeError with Node\'s codes', () => {
    expect(() => registerForkMetrics({} as Registry)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => registerForkMetrics(null as unknown as Registry)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    const registry = new Registry();
    expect(() => registerForkMetrics(registry, 'x' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => registerForkMetrics(registry, { pid: 0 })).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    expect(() => registerForkMetrics(registry, { pid: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    registerForkMetrics(registry, { pid: 1 });
    expect(() => registerForkMetrics(registry, { pid: 1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });

  it.runIf(mode0)('in a process with a merged mapping over RAM + swap: can fork before, cannot after, at each scrape', () => {
    // The service itself: registers once, is scraped, maps, is scraped again. Built package, as a user loads it.
    const script = `
      const { Registry } = require('prom-client');
      const canfork = require(${JSON.stringify(path.join(repoRoot, 'dist', 'index.js'))});
      const { registerForkMetrics } = require(${JSON.stringify(path.join(repoRoot, 'dist', 'prom-client.js'))});
      const { mapMergedPast } = require(${JSON.stringify(path.join(repoRoot, 'test', 'helpers', 'merged-mapping.cjs'))});
      const { readFileSync } = require('node:fs');
      const kb = (name) => Number(new RegExp('^' + name + ':\\\\s+(\\\\d+) kB', 'm').exec(readFileSync('/proc/meminfo', 'utf8'))[1]) * 1024;
      (async () => {
        const registry = new Registry();
        registerForkMetrics(registry);
        const before = await registry.metrics();
        globalThis.kept = mapMergedPast(canfork.mmap, kb('MemTotal') + kb('SwapTotal')).mappings;
        const after = await registry.metrics();
        const childProcess = require('node:child_process');
        const realFork = childProcess.spawnSync('true').error?.code ?? 'ran';
        process.stdout.write(JSON.stringify({ before, after, realFork }));
      })();`;
    const result = spawnSync(process.execPath, ['-e', script], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
    expect(result.stderr).toBe('');
    const { before, after, realFork } = JSON.parse(result.stdout) as { before: string; after: string; realFork: string };
    expect(before).toMatch(/^canfork_process_can_fork\{pid="\d+"\} 1$/m);
    expect(after).toMatch(/^canfork_process_can_fork\{pid="\d+"\} 0$/m);
    expect(after).toMatch(/^canfork_process_verdict\{pid="\d+",verdict="fails"\} 1$/m);
    expect(Number(/^canfork_process_fork_headroom_bytes\{pid="\d+"\} (\S+)$/m.exec(after)?.[1])).toBeLessThanOrEqual(0);
    expect(realFork).toBe('ENOMEM'); // the kernel agrees: child_process cannot fork this process
  });
});
