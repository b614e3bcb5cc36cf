// The built command (dist/cli/main.js) on this machine's real processes: exit statuses, one-line
// errors, JSON and Prometheus output of a full scan. Needs `npx tsc -p tsconfig.build.json` first.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliPath, commOf, repoRoot, runCanfork } from './processes';

async function exitedPid(): Promise<number> {
  const child = spawn('true');
  await once(child, 'exit');
  return child.pid!;
}

describe('canfork on this machine', () => {
  it('a bad flag exits 2 with a one-line message and nothing on stdout', () => {
    const result = runCanfork(['--frobnicate']);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe("canfork: Unknown option '--frobnicate' (see canfork --help)\n");
  });

  it('a missing pid exits 2 with a one-line ESRCH message', async () => {
    const pid = await exitedPid();
    const result = runCanfork([String(pid)]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`canfork: no process ${pid} (ESRCH)\n`);
    const json = runCanfork(['--json', String(pid)]);
    expect(json.status).toBe(2);
    expect(JSON.parse(json.stdout).missing).toEqual([pid]);
  });

  it('a pid that is not a number exits 2', () => {
    const result = runCanfork(['12ab']);
    expect(result.status).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('this test process: a detailed report that can fork, exit 0', () => {
    const result = runCanfork([String(process.pid)]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^PID ${process.pid} \\(${commOf(process.pid)}\\): can fork`));
    expect(result.stdout).toContain('RLIMIT_NPROC');
  });

  it('--json of every process parses; this process is in it with its verdict', () => {
    const result = runCanfork(['--json']);
    expect([0, 1]).toContain(result.status);
    const document = JSON.parse(result.stdout);
    expect(document.machine.overcommit).toBe(Number(readFileSync('/proc/sys/vm/overcommit_memory', 'utf8')));
    const self = document.processes.find((entry: { pid: number }) => entry.pid === process.pid);
    expect(self).toMatchObject({ comm: commOf(process.pid), verdict: 'ok', error: null });
    expect(document.processes.length).toBeGreaterThan(1);
  });

  it('every row of a scan is judged against one machine snapshot, even while tasks come and go', () => {
    // A shell forking /bin/true in a loop moves nr_threads and Committed_AS between two rows' reads.
    const churn = spawn('sh', ['-c', 'while :; do /bin/true; done'], { stdio: 'ignore' });
    try {
      const document = JSON.parse(runCanfork(['--json']).stdout);
      const reports = document.processes.flatMap((entry: { report: unknown }) => (entry.report ? [entry.report] : []));
      expect(reports.length).toBeGreaterThan(1);
      for (const report of reports) {
        expect(report.memory.committedBytes, `pid ${report.pid}`).toBe(document.machine.committedBytes);
        expect(report.tasks.threads, `pid ${report.pid}`).toEqual(document.machine.threads);
      }
    } finally {
      process.kill(churn.pid!, 'SIGKILL');
    }
  });

  it('--prometheus of every process passes promtool check metrics', () => {
    // Every process gets series of its own here: by default only the 20 nearest to failing do.
    const result = runCanfork(['--prometheus', '--max-process-series', '100000']);
    expect([0, 1]).toContain(result.status);
    expect(result.stdout).toContain(`canfork_process_can_fork{pid="${process.pid}",comm="${commOf(process.pid)}"} 1`);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: result.stdout, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.status).toBe(0);
  });

  it('processes that start and exit during the scan never break it', () => {
    // A shell that forks /bin/true in a loop: its children come and go while canfork reads /proc.
    const churn = spawn('sh', ['-c', 'while :; do /bin/true; done'], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 5; i++) {
        const result = runCanfork([]);
        expect(result.stderr).toBe('');
        expect([0, 1]).toContain(result.status);
      }
    } finally {
      process.kill(churn.pid!, 'SIGKILL');
    }
  });

  it.skipIf(process.getuid?.() !== 0)('as nobody: other users\' processes are unknown, never a crash; asking for one exits 2', async () => {
    // A root-owned node child with a 32 GiB MAP_NORESERVE mapping (no commit charge): its maps are
    // unreadable to nobody, and its VmSize alone is far above RAM + swap, so nothing can be concluded.
    const holder = spawn(process.execPath, ['-e', `
      globalThis.kept = require(${JSON.stringify(path.join(repoRoot, 'dist', 'index.js'))}).mmap(32 * 2 ** 30, { noreserve: true });
      process.stdout.write('ready\\n'); process.stdin.resume();
    `], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await once(holder.stdout!, 'data');
      const asNobody = (args: string[]) => spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, cliPath, ...args], {
        encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' },
      });
      const summary = asNobody([]);
      expect(summary.stderr).toBe('');
      expect([0, 1]).toContain(summary.status);
      const row = summary.stdout.split('\n').find((line) => new RegExp(`^ +${holder.pid} `).test(line));
      expect(row, summary.stdout).toMatch(/ UNKNOWN +\? +\? .* unreadable$/);
      const detail = asNobody([String(holder.pid)]);
      expect(detail.status).toBe(2);
      expect(detail.stderr).toBe(`canfork: cannot read process ${holder.pid}: open EACCES /proc/${holder.pid}/maps: VMAs unknown\n`);
      expect(detail.stdout).toContain(`PID ${holder.pid} (${commOf(holder.pid!)}): unknown`);
      // As root the same process is read exactly: a NORESERVE mapping is not accountable.
      expect(runCanfork([String(holder.pid)]).status).toBe(0);
    } finally {
      process.kill(holder.pid!, 'SIGKILL');
    }
  });

  it('--watch --json streams one JSON document per line, each with schemaVersion', async () => {
    const child = spawn(process.execPath, [cliPath, '--watch', '0.2', '--json', String(process.pid)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
    });
    while (text.split('\n').length < 3) await once(child.stdout, 'data');
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);
    const documents = text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line));
    expect(documents.length).toBeGreaterThanOrEqual(2);
    for (const document of documents) {
      expect(document).toMatchObject({ schemaVersion: 1, missing: [] });
      expect(document.processes[0]).toMatchObject({ pid: process.pid, verdict: 'ok' });
    }
    expect(new Set(documents.map((document) => document.takenAt)).size).toBe(documents.length);
  });

  it('--version prints the package version', () => {
    const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(runCanfork(['--version']).stdout).toBe(`${version}\n`);
  });
});
