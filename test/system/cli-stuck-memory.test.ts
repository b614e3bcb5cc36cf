// The canfork command against a real process whose fork fails with ENOMEM: a node child holding one
// merged accountable VMA larger than RAM + swap (overcommit mode 0). It charges ~RAM of commit for the
// length of this file (never touched: no RSS), hence a system test.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { overcommitMode } from '../helpers/proc';
import { requireHost, requireTool } from '../helpers/requirements';
import { cliPath, commOf, runCanfork, startStuckChild, type StuckChild } from '../cli/processes';
import { startPrometheus } from '../cli/prometheus-server';

const gate = requireHost(overcommitMode() === 0, `vm.overcommit_memory is ${overcommitMode()}, the merged-VMA ENOMEM needs mode 0`);
const promtool = requireTool('promtool', 'prometheus');

describe.skipIf(gate.skip)('canfork finds a process that cannot fork (ENOMEM, merged VMA)', () => {
  let stuck: StuckChild;
  beforeAll(async () => {
    stuck = await startStuckChild();
  });
  afterAll(async () => {
    await stuck?.stop();
  });

  const vmaRange = (): string => {
    const end = stuck.vma.start + BigInt(stuck.vma.sizeBytes);
    return `${stuck.vma.start.toString(16).padStart(12, '0')}-${end.toString(16).padStart(12, '0')}`;
  };

  it('the child really holds one accountable VMA over RAM + swap (smaps)', () => {
    expect(stuck.vma.flags).toContain('ac');
    expect(stuck.vma.flags).not.toContain('dc');
  });

  it('the machine summary lists it in the cannot-fork group at the top, with ENOMEM, and exits 1', () => {
    const result = runCanfork([]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(1);
    const rows = result.stdout.split('\n').filter((line) => /^[ *+] *\d+ /.test(line));
    const index = rows.findIndex((line) => new RegExp(`^ +${stuck.pid} `).test(line));
    expect(index, result.stdout).toBeGreaterThanOrEqual(0);
    expect(rows[index]).toMatch(/ CANNOT +2\d\.\d GiB .* ENOMEM vma$/);
    // Only other processes that cannot fork (other tests' children) may rank above it.
    for (const above of rows.slice(0, index)) expect(above).toContain(' CANNOT ');
    expect(result.stdout).toMatch(/Processes +[1-9]\d* cannot fork/);
  });

  it('its detailed report names ENOMEM and the VMA as smaps shows it, then what to do; exit 1', () => {
    const result = runCanfork([String(stuck.pid)]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`PID ${stuck.pid} (${commOf(stuck.pid)}): CANNOT FORK, a fork now fails with ENOMEM`);
    expect(result.stdout).toMatch(new RegExp(`largest VMAs +${vmaRange()} 2\\d\\.\\d GiB \\[anonymous\\]`));
    expect(result.stdout).toContain('What to do');
    expect(result.stdout).toContain('MADV_DONTFORK');
  });

  it('--json parses and carries the reason and the VMA (addresses as strings)', () => {
    const result = runCanfork(['--json', String(stuck.pid)]);
    expect(result.status).toBe(1);
    const document = JSON.parse(result.stdout);
    const [entry] = document.processes;
    expect(entry).toMatchObject({ pid: stuck.pid, comm: commOf(stuck.pid), verdict: 'fails' });
    expect(entry.report.reasons[0]).toMatchObject({ code: 'ENOMEM', cause: 'vma-exceeds-ram-swap' });
    expect(entry.report.memory.largestAccountable).toMatchObject({ start: String(stuck.vma.start), bytes: stuck.vma.sizeBytes });
  });

  it.skipIf(promtool.skip)('--prometheus shows can_fork 0 for it and passes promtool check metrics', () => {
    const result = runCanfork(['--prometheus']);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`canfork_process_can_fork{pid="${stuck.pid}",comm="${commOf(stuck.pid)}"} 0`);
    expect(result.stdout).toContain(`canfork_process_largest_accountable_bytes{pid="${stuck.pid}",comm="${commOf(stuck.pid)}"} ${stuck.vma.sizeBytes}`);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: result.stdout, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.status).toBe(0);
  });

  it('a real Prometheus server scrapes --serve and its query API returns the series for it', async () => {
    const server = spawn(process.execPath, [cliPath, '--serve', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let prometheus: Awaited<ReturnType<typeof startPrometheus>> | undefined;
    try {
      const lines = createInterface({ input: server.stderr! });
      const [line] = (await once(lines, 'line')) as [string];
      const match = /^canfork: serving http:\/\/(127\.0\.0\.1:\d+)\/metrics$/.exec(line);
      expect(match, line).not.toBeNull();
      const target = match![1]!;
      const direct = await fetch(`http://${target}/metrics`);
      expect(direct.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await direct.text()).toContain(`canfork_process_can_fork{pid="${stuck.pid}",comm="${commOf(stuck.pid)}"} 0`);

      prometheus = await startPrometheus(target);
      // Wait for the first scrapes to be ingested: a time-out, not a timing assertion.
      let series: Awaited<ReturnType<typeof prometheus.query>> = [];
      for (const deadline = Date.now() + 45_000; series.length === 0 && Date.now() < deadline;) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        series = await prometheus.query(`canfork_process_can_fork{pid="${stuck.pid}"}`).catch(() => []);
      }
      expect(series, (prometheus as unknown as { log: string }).log).toHaveLength(1);
      expect(series[0]!.metric).toMatchObject({ __name__: 'canfork_process_can_fork', pid: String(stuck.pid), comm: commOf(stuck.pid), job: 'canfork' });
      expect(series[0]!.value[1]).toBe('0');
      const up = await prometheus.query('up{job="canfork"}');
      expect(up[0]!.value[1]).toBe('1');
      const mode = await prometheus.query('canfork_overcommit_mode');
      expect(mode[0]!.value[1]).toBe('0');
    } finally {
      await prometheus?.stop();
      if (server.exitCode === null) {
        const exited = once(server, 'exit');
        process.kill(server.pid!, 'SIGTERM');
        const [code] = (await exited) as [number | null];
        expect(code).toBe(0); // --serve stops cleanly on SIGTERM
      }
    }
  });
});
