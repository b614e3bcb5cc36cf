// --prometheus and --serve: Prometheus text exposition format 0.0.4, also valid for node_exporter's
// textfile collector (no timestamps, HELP and TYPE once per family, every family a gauge).
import type { ProcessEntry, Scan } from './scan';
import { tightestTaskLimit } from '../model/task-limits';
import { rankByRisk, verdictOf } from './rank';

/** The Content-Type of the exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

// Label values escape backslash, double quote and newline (exposition format spec).
function labelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function sampleValue(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (Number.isNaN(value)) return 'NaN';
  return String(value);
}

interface Family {
  name: string;
  help: string;
  type?: 'gauge' | 'counter';
  samples: { labels: Record<string, string>; value: number }[];
}

function family(name: string, help: string): Family {
  return { name, help, samples: [] };
}

function renderFamily({ name, help, type = 'gauge', samples }: Family): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const { labels, value } of samples) {
    const pairs = Object.entries(labels).map(([key, text]) => `${key}="${labelValue(text)}"`).join(',');
    lines.push(`${name}${pairs === '' ? '' : `{${pairs}}`} ${sampleValue(value)}`);
  }
  return lines.join('\n');
}

/** What canfork_build_info says: which canfork, on which Node and kernel, wrote these numbers. */
export interface BuildInfo {
  version: string;
  nodeVersion: string;
  kernel: string;
}

export interface PrometheusOptions {
  /** Per-process series for this many processes nearest to failing, besides every one that fails or is at risk. */
  maxProcessSeries: number;
  build: BuildInfo;
}

/**
 * The processes that get series of their own: every one that cannot fork or is at risk, then the
 * `extra` nearest to failing. The rest are only counted (canfork_processes), so that the number of
 * series does not grow with the machine and pids coming and going do not churn it.
 */
export function processesWithSeries(scan: Scan, extra: number): ProcessEntry[] {
  const ranked = rankByRisk(scan.processes);
  let others = 0;
  return ranked.filter((entry) => {
    const verdict = verdictOf(entry);
    if (verdict === 'fails' || verdict === 'at-risk') return true;
    return others++ < extra;
  });
}

/** A read that failed for another reason than permission (a parse error, an I/O error): worth an alert. */
export function isScrapeError(entry: ProcessEntry): boolean {
  return entry.error !== null && entry.error.code !== 'EACCES' && entry.error.code !== 'EPERM';
}

export function renderPrometheus(scan: Scan, options: PrometheusOptions): string {
  const { machine } = scan;
  const machineFamilies: [string, string, number][] = [
    ['canfork_overcommit_mode', 'vm.overcommit_memory: 0 heuristic, 1 always, 2 strict.', machine.overcommit],
    ['canfork_memory_ram_bytes', 'MemTotal from /proc/meminfo.', machine.totalRamBytes],
    ['canfork_memory_swap_bytes', 'SwapTotal from /proc/meminfo.', machine.totalSwapBytes],
    ['canfork_commit_limit_bytes', 'CommitLimit from /proc/meminfo (enforced in overcommit mode 2).', machine.commitLimitBytes],
    ['canfork_committed_bytes', 'Committed_AS from /proc/meminfo.', machine.committedBytes],
    ['canfork_threads', 'Threads on the machine, kernel threads included.', machine.threads.current],
    ['canfork_threads_max', 'kernel.threads-max.', machine.threads.max],
    ['canfork_pids', 'Tasks on the machine, each holding a pid (nr_threads): the pids in use are at least this many.', machine.pids.tasks],
    ['canfork_pid_max', 'kernel.pid_max.', machine.pids.max],
  ];
  if (machine.availableBytes !== undefined) machineFamilies.push(['canfork_memory_available_bytes', 'MemAvailable from /proc/meminfo.', machine.availableBytes]);
  if (machine.oomKills !== undefined && machine.oomKills !== null) machineFamilies.push(['canfork_oom_kills', 'oom_kill from /proc/vmstat: processes the OOM killer killed since boot.', machine.oomKills]);
  const families: Family[] = machineFamilies.map(([name, help, value]) => ({ name, help, samples: [{ labels: {}, value }] }));
  if (machine.memoryPressure) {
    const pressure = family('canfork_memory_pressure_ratio', 'Memory pressure stall (/proc/pressure/memory avg10) as a ratio: some or all tasks stalled.');
    pressure.samples.push({ labels: { kind: 'some' }, value: machine.memoryPressure.some }, { labels: { kind: 'full' }, value: machine.memoryPressure.full });
    families.push(pressure);
  }
  if (machine.zombieParents && machine.zombieParents.length > 0) {
    const zombies = family('canfork_zombies', 'Unreaped zombie children of a parent (the 10 parents with the most); each keeps a pid.');
    for (const parent of machine.zombieParents) zombies.samples.push({ labels: { parent: String(parent.pid), comm: parent.comm }, value: parent.count });
    families.push(zombies);
  }
  const counts = family('canfork_processes', 'Processes scanned, by verdict (kernel threads and zombies left out).');
  for (const verdictName of ['fails', 'at-risk', 'unknown', 'ok'] as const) {
    counts.samples.push({ labels: { verdict: verdictName }, value: scan.processes.filter((e) => verdictOf(e) === verdictName).length });
  }
  const duration = family('canfork_scan_duration_seconds', 'How long reading and judging every process took.');
  duration.samples.push({ labels: {}, value: scan.durationSeconds });
  const errors = family('canfork_scrape_errors', 'Processes this scan could not read for another reason than permission.');
  errors.samples.push({ labels: {}, value: scan.processes.filter(isScrapeError).length });
  const series = family('canfork_process_series', 'Processes with per-process series in this scrape (see --max-process-series).');
  const build = family('canfork_build_info', 'Always 1: the canfork version, the Node.js version and the kernel release.');
  build.samples.push({
    labels: { version: options.build.version, node_version: options.build.nodeVersion, kernel: options.build.kernel },
    value: 1,
  });
  const shown = processesWithSeries(scan, options.maxProcessSeries);
  series.samples.push({ labels: {}, value: shown.length });
  families.push(counts, duration, errors, series, build);

  const canFork = family('canfork_process_can_fork', '1 if a fork of this process would succeed now, 0 if it would fail.');
  const verdict = family('canfork_process_verdict', '1 for the verdict of this process: ok, at-risk, fails or unknown.');
  const largest = family('canfork_process_largest_accountable_bytes', 'Size of the largest VMA fork would charge to overcommit accounting.');
  const accountable = family('canfork_process_accountable_bytes', 'Sum of the VMAs fork would charge to overcommit accounting.');
  const headroom = family('canfork_process_fork_headroom_bytes', 'How much more fork could charge before it fails (+Inf in overcommit mode 1).');
  const tasks = family('canfork_process_tasks', 'Tasks counted against the tightest task limit (label limit) of this process.');
  const tasksLimit = family('canfork_process_tasks_limit', 'The tightest task limit of this process (rlimit-nproc, cgroup-pids, threads-max or pid-max).');
  const unreadable = family('canfork_process_unreadable', '1 when the process exists but could not be read.');

  for (const entry of shown) {
    const labels = { pid: String(entry.pid), comm: entry.comm };
    const report = entry.report;
    if (!report) {
      unreadable.samples.push({ labels, value: 1 });
      verdict.samples.push({ labels: { ...labels, verdict: 'unknown' }, value: 1 });
      continue;
    }
    canFork.samples.push({ labels, value: report.ok ? 1 : 0 });
    verdict.samples.push({ labels: { ...labels, verdict: report.verdict }, value: 1 });
    largest.samples.push({ labels, value: report.memory.largestAccountable?.bytes ?? 0 });
    accountable.samples.push({ labels, value: report.memory.accountableBytes });
    headroom.samples.push({ labels, value: report.memory.headroomBytes ?? Infinity });
    const tightest = tightestTaskLimit(report);
    tasks.samples.push({ labels: { ...labels, limit: tightest.source }, value: tightest.used });
    tasksLimit.samples.push({ labels: { ...labels, limit: tightest.source }, value: tightest.limit });
  }
  const processFamilies = [canFork, verdict, largest, accountable, headroom, tasks, tasksLimit, unreadable]
    .filter((f) => f.samples.length > 0);
  return `${[...families, ...processFamilies].map(renderFamily).join('\n')}\n`;
}

/** --serve's own counters since it started, appended to each answer when it is sent. */
export function renderServerCounters({ scans, closedByLimits }: { scans: number; closedByLimits: number }): string {
  return `${[
    { name: 'canfork_scans_total', help: 'Scans since the server started (scrapes share a scan in flight or younger than --min-interval).',
      type: 'counter' as const, samples: [{ labels: {}, value: scans }] },
    { name: 'canfork_connections_closed_total', help: 'Connections the server closed for exceeding a limit (connections, pipelining, queued bytes).',
      type: 'counter' as const, samples: [{ labels: {}, value: closedByLimits }] },
  ].map(renderFamily).join('\n')}\n`;
}
