// The per-pid report: verdict with its errno, each reason with the numbers, the largest accountable
// VMAs, the task limits with where they come from, and what to do.
import type { ForkReason, ForkReport, TasksReport } from '../model/report';
import { adviceFor } from './advice';
import { OVERCOMMIT_MODE_NAMES } from './summary';
import type { ProcessEntry } from './scan';
import { safeStrings } from './terminal-text';
import { formatAddress, formatBytes, formatCount, padEnd, SCREEN_COLUMNS, type Style, wrap } from './style';

const MEMORY_CAUSES = new Set(['vma-exceeds-ram-swap', 'commit-limit']);

function reasonNumbers(reason: ForkReason): string {
  const format = MEMORY_CAUSES.has(reason.cause) ? formatBytes : formatCount;
  const noun = MEMORY_CAUSES.has(reason.cause) ? 'needs' : 'counts';
  return `${noun} ${format(reason.value)}, limit ${format(reason.limit)}`;
}

function headline(entry: ProcessEntry, style: Style): string {
  const name = `PID ${entry.pid}${entry.comm ? ` (${entry.comm})` : ''}`;
  const report = entry.report;
  if (!report) return `${style.bold(name)}: ${style.dim(`unknown, cannot read it (${entry.error?.code ?? '?'})`)}`;
  const codes = [...new Set(report.reasons.map((reason) => reason.code))].join(', ');
  switch (report.verdict) {
    case 'fails': return `${style.bold(name)}: ${style.red(style.bold(`CANNOT FORK, a fork now fails with ${codes}`))}`;
    case 'at-risk': return `${style.bold(name)}: ${style.yellow('can fork, but AT RISK: a limit is within 10 %')}`;
    case 'unknown': return `${style.bold(name)}: ${style.dim('unknown, part of the data is unreadable')}`;
    case 'ok': return `${style.bold(name)}: ${style.green('can fork')}`;
  }
}

function section(title: string, style: Style): string {
  return style.bold(title);
}

/** Two-column rows: a label padded to `labelWidth`, then the value wrapped under itself. */
function row(label: string, value: string, labelWidth = 16): string[] {
  const indent = ' '.repeat(2 + labelWidth);
  const [first = '', ...rest] = wrap(value, SCREEN_COLUMNS - indent.length);
  return [`  ${padEnd(label, labelWidth)}${first}`, ...rest.map((line) => indent + line)];
}

function memoryLines(report: ForkReport): string[] {
  const { memory } = report;
  // Without smaps VmFlags every private VMA counted: the sizes are upper bounds (see the warnings).
  const atMost = memory.exact ? '' : 'at most ';
  const vmas = memory.largestAccountableVmas;
  const vmaRows = vmas.length === 0
    ? row('largest VMAs', memory.exact ? 'none accountable' : 'unknown')
    : vmas.flatMap((vma, index) => row(index === 0 ? 'largest VMAs' : '',
      `${atMost}${formatAddress(vma.start)}-${formatAddress(vma.end)} ${formatBytes(vma.bytes)} ${vma.path || '[anonymous]'}`));
  const lines = [
    ...row('overcommit', `mode ${memory.overcommit} (${OVERCOMMIT_MODE_NAMES[memory.overcommit]})`),
    ...row('fork charges', `${atMost}${formatBytes(memory.accountableBytes)} (accountable VMAs fork copies)`),
    ...row('headroom', memory.headroomBytes === null ? 'no limit (mode 1 never refuses)' : formatBytes(memory.headroomBytes)),
    ...vmaRows,
  ];
  if (report.trial) {
    lines.push(...row('trial mmap', `${formatBytes(report.trial.bytes)}: ${report.trial.ok ? 'accepted' : `refused (${report.trial.code ?? 'error'})`}`));
  }
  return lines;
}

function taskLines(tasks: TasksReport): string[] {
  const { nproc, threads, pids, cgroup } = tasks;
  const exempt = nproc.exempt === null ? '' : ` (not enforced: ${nproc.exempt === 'root' ? 'real uid 0' : nproc.exempt})`;
  const lines = [
    ...row('RLIMIT_NPROC', `uid ${nproc.realUid} owns ${nproc.tasksCounted ? '' : 'at most '}${formatCount(nproc.tasks)} tasks; soft ${formatCount(nproc.soft)}, hard ${formatCount(nproc.hard)}${exempt}`),
    ...row('threads', `${formatCount(threads.current)} of ${formatCount(threads.max)} (kernel.threads-max)`),
    ...row('pids', `${formatCount(pids.current)} of ${formatCount(pids.max)} (kernel.pid_max)`),
  ];
  if (cgroup === null) return [...lines, ...row('pids cgroup', 'no pids controller')];
  if (cgroup.levels.length === 0) return [...lines, ...row(`pids cgroup v${cgroup.version}`, `${cgroup.path}: no pids.max on the path (the root has none)`)];
  cgroup.levels.forEach((level, index) => {
    const label = index === 0 ? `pids cgroup v${cgroup.version}` : '';
    lines.push(...row(label, `${level.path}: ${formatCount(level.current)} of ${formatCount(level.max)} (${level.directory})`));
  });
  return lines;
}

export function renderDetail(unsafeEntry: ProcessEntry, style: Style): string {
  // Every string from /proc (comm, VMA and cgroup paths, messages quoting them) with controls shown as '?'.
  const entry = safeStrings(unsafeEntry);
  const lines = [headline(entry, style)];
  const report = entry.report;
  if (!report) {
    lines.push(...wrap(entry.error?.message ?? 'no data', SCREEN_COLUMNS - 2).map((line) => `  ${line}`));
    return lines.join('\n');
  }
  if (report.reasons.length > 0) {
    lines.push('', section('Why', style));
    for (const reason of report.reasons) {
      const code = style.red(reason.code);
      lines.push(...wrap(`${reason.message} (${reasonNumbers(reason)})`, SCREEN_COLUMNS - 10)
        .map((line, index) => (index === 0 ? `  ${code}  ${line}` : `          ${line}`)));
    }
  }
  lines.push('', section('Memory', style), ...memoryLines(report));
  lines.push('', section('Tasks', style), ...taskLines(report.tasks));
  if (report.warnings.length > 0) {
    lines.push('', section('Warnings', style));
    for (const warning of report.warnings) {
      lines.push(...wrap(`${warning.cause}: ${warning.message}`, SCREEN_COLUMNS - 4).map((l, i) => (i === 0 ? `  ${l}` : `    ${l}`)));
    }
  }
  const advice = adviceFor(report, entry.pid);
  if (advice.length > 0) {
    lines.push('', section('What to do', style));
    advice.forEach((item, index) => {
      const number = `${index + 1}. `.padStart(5);
      lines.push(...wrap(item.step, SCREEN_COLUMNS - 5).map((l, i) => (i === 0 ? number : '     ') + style.bold(l)));
      lines.push(...wrap(item.why, SCREEN_COLUMNS - 5).map((l) => `     ${l}`));
    });
  }
  return lines.join('\n');
}
