// canfork/prom-client: a Node service that already exports metrics with prom-client gets its own can-fork
// verdict, fork headroom and task limits in the same registry, computed by canFork() when it is scraped.
// prom-client is an optional peer dependency: only this entry point loads it.
import { Gauge, type Registry } from 'prom-client';
import { canFork } from './can-fork';
import { invalidArgType, invalidArgValue } from './errors';
import type { ForkReport } from './model/report';
import { taskLimitsOf, type TaskLimit } from './model/task-limits';
import { validateOptions, validatePid } from './validate';

export interface ForkMetricsOptions {
  /** The process to judge; defaults to this one (its pid at each scrape, so a fork's copy reports itself). */
  pid?: number;
}

interface RegistryState {
  /** undefined: this process, whatever its pid is at scrape time. */
  targets: Set<number | undefined>;
}

const registered = new WeakMap<Registry, RegistryState>();

/**
 * Adds canfork's gauges to `registry`: `canfork_process_can_fork`, `canfork_process_verdict`,
 * `canfork_process_fork_headroom_bytes`, `canfork_process_accountable_bytes`,
 * `canfork_process_largest_accountable_bytes`, `canfork_process_tasks` and `canfork_process_tasks_limit`
 * (label `limit`), all labelled `pid`, and `canfork_scrape_errors` (targets whose canFork() failed at the
 * last scrape; a process that exited counts). One canFork() per target per scrape, shared by the gauges.
 * Calling it again for the same registry adds another pid to the same gauges.
 * @throws TypeError ERR_INVALID_ARG_TYPE for a registry without registerMetric() or bad options;
 *   RangeError ERR_OUT_OF_RANGE for a pid out of range; TypeError ERR_INVALID_ARG_VALUE for a target
 *   already registered in this registry.
 */
export function registerForkMetrics(registry: Registry, options?: ForkMetricsOptions): void {
  if (registry === null || typeof registry !== 'object' || typeof (registry as { registerMetric?: unknown }).registerMetric !== 'function') {
    throw invalidArgType('registry', 'a prom-client Registry', registry);
  }
  const { pid } = validateOptions(options);
  if (pid !== undefined) validatePid(pid, 'options.pid');
  const existing = registered.get(registry);
  if (existing !== undefined) {
    if (existing.targets.has(pid)) throw invalidArgValue('options.pid', pid, 'is already registered in this registry');
    existing.targets.add(pid);
    return;
  }
  const state: RegistryState = { targets: new Set([pid]) };
  registered.set(registry, state);
  createGauges(registry, state);
}

function createGauges(registry: Registry, state: RegistryState): void {
  // registry.metrics() calls every collect() in one synchronous pass, in registration order: the first gauge
  // reads afresh and the others reuse its reports. A gauge read on its own (getSingleMetric) reuses them only
  // within the same turn of the event loop.
  let reports: Map<number, ForkReport> | null = null;
  let failures = 0;
  const currentReports = (fresh = false): Map<number, ForkReport> => {
    if (reports !== null && !fresh) return reports;
    const read = new Map<number, ForkReport>();
    failures = 0;
    for (const target of state.targets) {
      const pid = target ?? process.pid;
      try {
        read.set(pid, canFork({ pid }));
      } catch {
        failures++; // exited, or hidden from us: no series for it, and the error count says so
      }
    }
    if (reports === null) {
      setImmediate(() => {
        reports = null;
      });
    }
    reports = read;
    return read;
  };

  const registers = [registry];
  const perProcess = (name: string, help: string, value: (report: ForkReport) => number, first = false): void => {
    new Gauge({
      name, help, labelNames: ['pid'], registers,
      collect() {
        this.reset();
        for (const [pid, report] of currentReports(first)) this.set({ pid: String(pid) }, value(report));
      },
    });
  };
  perProcess('canfork_process_can_fork', '1 if a fork of this process would succeed now, 0 if it would fail.', (r) => (r.ok ? 1 : 0), true);
  perProcess('canfork_process_fork_headroom_bytes', 'How much more fork could charge before it fails (+Inf in overcommit mode 1).',
    (r) => r.memory.headroomBytes ?? Infinity);
  perProcess('canfork_process_accountable_bytes', 'Sum of the VMAs fork would charge to overcommit accounting.', (r) => r.memory.accountableBytes);
  perProcess('canfork_process_largest_accountable_bytes', 'Size of the largest VMA fork would charge to overcommit accounting.',
    (r) => r.memory.largestAccountable?.bytes ?? 0);
  new Gauge({
    name: 'canfork_process_verdict', help: '1 for the verdict of this process: ok, at-risk, fails or unknown.',
    labelNames: ['pid', 'verdict'], registers,
    collect() {
      this.reset();
      for (const [pid, report] of currentReports()) this.set({ pid: String(pid), verdict: report.verdict }, 1);
    },
  });
  const taskGauge = (name: string, help: string, pick: (limit: TaskLimit) => number): void => {
    new Gauge({
      name, help, labelNames: ['pid', 'limit'], registers,
      collect() {
        this.reset();
        for (const [pid, report] of currentReports()) {
          // One series per limit name: the fullest pids cgroup level stands for the cgroup.
          for (const limit of taskLimitsOf(report, { tightestCgroupLevel: true })) this.set({ pid: String(pid), limit: limit.source }, pick(limit));
        }
      },
    });
  };
  taskGauge('canfork_process_tasks', 'Tasks counted against each task limit (label limit) of this process.', (limit) => limit.used);
  taskGauge('canfork_process_tasks_limit', 'Each task limit of this process: rlimit-nproc, cgroup-pids (its tightest level), threads-max, pid-max.',
    (limit) => limit.limit);
  new Gauge({
    name: 'canfork_scrape_errors', help: 'Processes whose canFork() failed at this scrape (exited, or hidden from this process).',
    registers,
    collect() {
      currentReports();
      this.set(failures);
    },
  });
}
