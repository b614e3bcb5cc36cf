// The presenter alone, over ForkReport objects built in the test (fixtures.ts): ranking, text, colours,
// JSON, Prometheus exposition (checked by the real promtool), exit status, argument errors.
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseCliArgs, UsageError } from '../../src/cli/args';
import { renderDetail } from '../../src/cli/detail';
import { renderJson } from '../../src/cli/json';
import { renderPrometheus } from '../../src/cli/prometheus';
import { rankByRisk } from '../../src/cli/rank';
import { runCli } from '../../src/cli/run';
import { colourWanted, createStyle, formatBytes, SCREEN_COLUMNS, stripAnsi } from '../../src/cli/style';
import { renderSummary } from '../../src/cli/summary';
import { bigVmaReport, builtSource, cgroupFullReport, entry, GiB, nprocAtRiskReport, okReport, prometheusOptions, scanOf } from './fixtures';

const plain = createStyle(false);
const colour = createStyle(true);

function capture(): { stream: { write(t: string): boolean; isTTY?: boolean }; text: () => string } {
  let text = '';
  return { stream: { write: (t: string) => ((text += t), true) }, text: () => text };
}

async function run(argv: string[], source = builtSource(new Map([[10, okReport(10)]]))) {
  const out = capture();
  const err = capture();
  const status = await runCli(argv, source, { stdout: out.stream, stderr: err.stream, env: {} });
  return { status, stdout: out.text(), stderr: err.text() };
}

function expectFits(text: string): void {
  for (const line of stripAnsi(text).split('\n')) expect(line.length, line).toBeLessThanOrEqual(SCREEN_COLUMNS);
}

describe('sizes and colours', () => {
  it('formats IEC units', () => {
    expect([formatBytes(0), formatBytes(1023), formatBytes(1536), formatBytes(24 * GiB), formatBytes(Infinity), formatBytes(-512 * 2 ** 20)])
      .toEqual(['0 B', '1023 B', '1.5 KiB', '24.0 GiB', 'unlimited', '-512.0 MiB']);
  });

  it('colours only on a terminal, never with NO_COLOR', () => {
    expect(colourWanted({ isTTY: true }, {})).toBe(true);
    expect(colourWanted({ isTTY: false }, {})).toBe(false);
    expect(colourWanted({}, {})).toBe(false);
    expect(colourWanted({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourWanted({ isTTY: true }, { NO_COLOR: '1', FORCE_COLOR: '1' })).toBe(false);
    expect(colourWanted({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(colourWanted({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
  });
});

describe('summary', () => {
  const scan = scanOf([
    entry(okReport(300), 'bash'),
    entry(nprocAtRiskReport(200), 'worker'),
    entry(null, 'secret', 150),
    entry(cgroupFullReport(120), 'sleep'),
    entry(bigVmaReport(4242), 'node'),
  ]);

  it('ranks cannot-fork first, then at risk, unknown, ok; the bigger pressure first', () => {
    expect(rankByRisk(scan.processes).map((e) => e.pid)).toEqual([4242, 120, 200, 150, 300]);
  });

  it('shows the machine, the ENOMEM row with its VMA size, fits 80 columns, no escapes without colour', () => {
    const { text } = renderSummary(scan, plain);
    expect(text).toContain('mode 0 (heuristic)');
    expect(text).toContain('Processes   2 cannot fork, 1 at risk, 1 unknown, 1 ok');
    const rows = text.split('\n').filter((line) => /^ +\d+ /.test(line));
    expect(rows[0]).toMatch(/^ +4242 node +CANNOT +24\.0 GiB .* ENOMEM vma$/);
    expect(rows[1]).toMatch(/^ +120 sleep +CANNOT .* 2\/2 EAGAIN cgroup$/);
    expect(rows[2]).toMatch(/3700\/3859 near nproc$/);
    expect(rows[3]).toMatch(/UNKNOWN .* EACCES$/);
    expect(text).not.toContain('\x1b[');
    expectFits(text);
  });

  it('with colour, the same text once escapes are removed, and the verdict in red', () => {
    const coloured = renderSummary(scan, colour).text;
    expect(coloured).toContain('\x1b[31m\x1b[1mCANNOT ');
    expect(stripAnsi(coloured)).toBe(renderSummary(scan, plain).text);
  });

  it('marks changed cells, new and exited processes for --watch', () => {
    const first = renderSummary(scan, plain, { machine: new Map(), rows: new Map() });
    const changedScan = scanOf([entry(bigVmaReport(4242), 'node'), entry(okReport(300), 'bash'), entry(okReport(999), 'new')]);
    changedScan.processes[1]!.report!.memory.largestAccountable!.bytes = 2 * GiB;
    const second = renderSummary(changedScan, colour, first.frame).text;
    const lines = second.split('\n');
    expect(lines.find((l) => l.includes(' bash '))).toMatch(/^\*/);
    expect(lines.find((l) => l.includes(' bash '))).toContain('\x1b[7m');
    expect(lines.find((l) => l.includes(' node '))).toMatch(/^ /);
    expect(lines.find((l) => l.includes(' new '))).toMatch(/^\+/);
    expect(second).toContain('exited since the last refresh: 120 200 150');
  });
});

it('a frame limited to a terminal height keeps the riskiest rows and says how many are hidden', () => {
  const scan = scanOf([entry(bigVmaReport(4242), 'node'), ...Array.from({ length: 40 }, (_, i) => entry(okReport(500 + i), 'idle'))]);
  const full = renderSummary(scan, plain).text.split('\n');
  const limited = renderSummary(scan, plain, undefined, 20).text.split('\n');
  expect(limited).toHaveLength(20);
  expect(limited.slice(0, 19)).toEqual(full.slice(0, 19));
  expect(limited[19]).toMatch(/^ \.\.\. \d+ more \(ok\) below the screen/);
  expect(limited.join('\n')).toContain(' 4242 node ');
});

describe('detail', () => {
  it('ENOMEM: the reason with numbers, the VMA range, and what to do', () => {
    const text = renderDetail(entry(bigVmaReport(4242), 'node'), plain);
    expect(text).toContain('PID 4242 (node): CANNOT FORK, a fork now fails with ENOMEM');
    expect(text.replace(/\s+/g, ' ')).toContain('ENOMEM one accountable VMA is larger than RAM + swap (needs 24.0 GiB, limit 23.5 GiB)');
    expect(text).toContain('7f0000000000-7f0600000000 24.0 GiB [anonymous]');
    expect(text).toContain('What to do');
    expect(text).toContain('sysctl vm.overcommit_memory=1');
    expect(text).toContain('MADV_DONTFORK');
    expect(text).toContain('OOM killer');
    expectFits(text);
  });

  it('cgroup EAGAIN: the path, the directory, and how to raise pids.max', () => {
    const text = renderDetail(entry(cgroupFullReport(120), 'sleep'), plain);
    expect(text).toContain('/canfork-test-1: 2 of 2 (/sys/fs/cgroup/pids/canfork-test-1)');
    expect(text).toContain('echo 64 > /sys/fs/cgroup/pids/canfork-test-1/pids.max');
    expectFits(text);
  });

  it('RLIMIT_NPROC at risk: prlimit, and why limits.conf does not help a running process', () => {
    const text = renderDetail(entry(nprocAtRiskReport(200), 'worker'), plain);
    expect(text).toContain('AT RISK');
    expect(text).toContain('prlimit --pid 200 --nproc=7718:7718');
    expect(text).toContain('limits.conf does not');
    expectFits(text);
  });

  it('systemd units get TasksMax', () => {
    const report = cgroupFullReport(7);
    report.tasks.cgroup!.levels[0]!.path = '/system.slice/web.service';
    expect(renderDetail(entry(report, 'web'), plain)).toContain('systemctl set-property web.service TasksMax=64');
  });
});

describe('JSON', () => {
  it('parses, with bigints and Infinity as strings', () => {
    const document = JSON.parse(renderJson(scanOf([entry(okReport(3), 'a'), entry(bigVmaReport(4), 'b')])));
    expect(document.processes[0]).toMatchObject({ pid: 4, comm: 'b', verdict: 'fails' });
    expect(document.processes[0].report.memory.largestAccountable.start).toBe(String(0x7f0000000000n));
    expect(document.processes[1].report.tasks.cgroup.levels[0].max).toBe('Infinity');
  });
});

describe('Prometheus exposition', () => {
  const scan = scanOf([entry(bigVmaReport(4242), 'no"de\\x'), entry(okReport(3), 'bash'), entry(null, 'hidden', 9)]);
  const text = renderPrometheus(scan, prometheusOptions);

  it('has the per-process and machine series', () => {
    expect(text).toContain('canfork_process_can_fork{pid="4242",comm="no\\"de\\\\x"} 0');
    expect(text).toContain('canfork_process_can_fork{pid="3",comm="bash"} 1');
    expect(text).toContain(`canfork_process_largest_accountable_bytes{pid="4242",comm="no\\"de\\\\x"} ${24 * GiB}`);
    expect(text).toContain('canfork_process_unreadable{pid="9",comm="hidden"} 1');
    expect(text).toMatch(/^canfork_overcommit_mode 0$/m);
    expect(text).toMatch(/^canfork_threads_max 192000$/m);
    expect(text).toMatch(/^canfork_processes\{verdict="fails"\} 1$/m);
    expect(text).toMatch(/^canfork_processes\{verdict="unknown"\} 1$/m);
    expect(text).toMatch(/^canfork_scan_duration_seconds 0\.012$/m);
  });

  it('passes promtool check metrics', () => {
    const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(result.error).toBeUndefined();
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  });

  it('promtool is the real one, and it does reject a broken exposition', () => {
    expect(execFileSync('promtool', ['--version'], { encoding: 'utf8' })).toMatch(/promtool, version/);
    const broken = spawnSync('promtool', ['check', 'metrics'], { input: 'canfork_x{pid="1} 1\n', encoding: 'utf8' });
    expect(broken.status).not.toBe(0);
  });
});

describe('arguments and exit status', () => {
  it('parses flags and pids', () => {
    expect(parseCliArgs(['--json', '12', '34'])).toMatchObject({ format: 'json', pids: [12, 34] });
    expect(parseCliArgs(['--serve', '0'])).toMatchObject({ servePort: 0, host: '127.0.0.1' });
    expect(parseCliArgs(['-w', '0.5'])).toMatchObject({ watchSeconds: 0.5 });
    for (const bad of [['--nope'], ['abc'], ['0'], ['--serve'], ['--serve', '70000'], ['--json', '--prometheus'], ['--watch', 'x'], ['--host', '::1']]) {
      expect(() => parseCliArgs(bad), bad.join(' ')).toThrow(UsageError);
    }
  });

  it('a bad flag exits 2 with one line', async () => {
    const { status, stdout, stderr } = await run(['--frobnicate']);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe("canfork: Unknown option '--frobnicate' (see canfork --help)\n");
  });

  it('a missing pid exits 2 with one line; a vanished process is skipped in a full scan', async () => {
    const missing = await run(['77']);
    expect(missing).toMatchObject({ status: 2, stderr: 'canfork: no process 77 (ESRCH)\n' });
    const reports = new Map([[10, okReport(10)]]);
    const source = builtSource(reports);
    source.listPids = () => [10, 11]; // 11 exits between the listing and its read
    const all = await run([], source);
    expect(all.status).toBe(0);
    expect(all.stdout).not.toMatch(/^ +11 /m);
  });

  it('one machine snapshot per scan, whatever the number of processes', async () => {
    const source = builtSource(new Map([[1, okReport(1)], [2, bigVmaReport(2)], [3, okReport(3)]]));
    const snapshotMachine = source.snapshotMachine;
    let snapshots = 0;
    source.snapshotMachine = () => {
      snapshots++;
      return snapshotMachine();
    };
    await run(['--json', '--all', '2'], source);
    expect(snapshots).toBe(1);
  });

  it('exits 1 when a process cannot fork, 0 when all can, 2 for an unreadable pid asked for', async () => {
    expect((await run([], builtSource(new Map([[1, okReport(1)], [2, bigVmaReport(2)]])))).status).toBe(1);
    expect((await run([], builtSource(new Map([[1, okReport(1)]])))).status).toBe(0);
    const denied = Object.assign(new Error('open EACCES /proc/5/smaps'), { code: 'EACCES' });
    const unreadable = await run(['5'], builtSource(new Map<number, Error>([[5, denied]])));
    expect(unreadable.status).toBe(2);
    expect(unreadable.stderr).toBe('canfork: cannot read process 5: open EACCES /proc/5/smaps\n');
    const inSummary = await run([], builtSource(new Map<number, Error | ReturnType<typeof okReport>>([[5, denied], [6, okReport(6)]])));
    expect(inSummary.status).toBe(0);
  });

  it('--help has examples and fits 80 columns', async () => {
    const { status, stdout } = await run(['--help']);
    expect(status).toBe(0);
    expect(stdout).toContain('Examples:');
    expectFits(stdout);
  });
});

describe('overcommit modes 1 and 2', () => {
  it('mode 1: no memory limit in the table, +Inf headroom in Prometheus', () => {
    const report = okReport(5);
    report.memory = { ...report.memory, overcommit: 1, headroomBytes: null };
    const scan = { ...scanOf([entry(report, 'app')]), machine: { ...scanOf([]).machine, overcommit: 1 as const } };
    expect(renderSummary(scan, plain).text).toContain('mode 1 (always overcommit): memory accounting never refuses a fork.');
    expect(renderSummary(scan, plain).text).toMatch(/ +5 app +ok +32\.0 MiB +no limit/);
    expect(renderPrometheus(scan, prometheusOptions)).toContain('canfork_process_fork_headroom_bytes{pid="5",comm="app"} +Inf');
  });

  it('mode 2: the commit-limit reason and advice about CommitLimit', () => {
    const report = bigVmaReport(6);
    report.memory.overcommit = 2;
    report.reasons = [{ code: 'ENOMEM', cause: 'commit-limit', message: 'Committed_AS plus the copy reaches CommitLimit', limit: 12 * GiB, value: 27 * GiB }];
    const text = renderDetail(entry(report, 'db'), plain).replace(/\s+/g, ' ');
    expect(text).toContain('mode 2 (strict, never overcommit)');
    expect(text).toContain('(needs 27.0 GiB, limit 12.0 GiB)');
    expect(text).toContain('raise vm.overcommit_ratio (or vm.overcommit_kbytes)');
    expect(renderSummary(scanOf([entry(report, 'db')]), plain).text).toMatch(/ENOMEM commit$/m);
  });
});

describe('--watch and --serve through runCli', () => {
  it('--watch on a pipe prints frames one after another, marking what changed, until aborted', async () => {
    const reports = new Map([[10, okReport(10)], [11, okReport(11)]]);
    const source = builtSource(reports, new Map([[10, 'web'], [11, 'db']]));
    const stop = new AbortController();
    let frames = 0;
    let text = '';
    const stdout = {
      write(chunk: string) {
        text += chunk;
        if (chunk.includes('Ctrl-C quits') && ++frames === 1) {
          reports.set(10, bigVmaReport(10)); // between the frames, web stops being able to fork
          reports.set(12, okReport(12));
          reports.delete(11);
        }
        if (frames === 2) stop.abort();
        return true;
      },
    };
    const status = await runCli(['--watch', '0.1'], source, { stdout, stderr: capture().stream, env: {}, signal: stop.signal });
    expect(status).toBe(1);
    const [first, second] = text.split('Ctrl-C quits');
    expect(first).not.toContain('\x1b[');
    expect(first).toMatch(/^ +10 web +ok/m);
    expect(second).toMatch(/^\* +10 web +CANNOT/m);
    expect(second).toMatch(/^\+ +12 /m);
    expect(second).toContain('exited since the last refresh: 11');
    expect(second).toMatch(/Processes +1\* cannot fork/);
  });

  it('--serve answers /metrics, 404 elsewhere, 405 for POST, and stops on abort', async () => {
    const stop = new AbortController();
    const err = capture();
    const running = runCli(['--serve', '0'], builtSource(new Map([[10, bigVmaReport(10)]]), new Map([[10, 'web']])), {
      stdout: capture().stream, stderr: err.stream, env: {}, signal: stop.signal,
    });
    for (let i = 0; i < 200 && !err.text().includes('serving'); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const url = /serving (\S+)/.exec(err.text())![1]!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const metrics = await fetch(url);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('canfork_process_can_fork{pid="10",comm="web"} 0');
    expect((await fetch(url.replace('/metrics', '/nope'))).status).toBe(404);
    expect((await fetch(url, { method: 'POST' })).status).toBe(405);
    stop.abort();
    expect(await running).toBe(0);
  });
});
