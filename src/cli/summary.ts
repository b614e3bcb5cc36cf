// The machine summary and the table of every process ranked by risk; --watch redraws it and marks
// the values that changed since the previous frame.
import { OVERCOMMIT_MODE_NAMES } from '../model/memory';
import type { ForkCause, ForkReport, MachineSummary } from '../model/report';
import { tightestTaskLimit } from '../model/task-limits';
import { nearestLimit, rankByRisk, verdictOf } from './rank';
import type { ProcessEntry, Scan } from './scan';
import { safeStrings, safeText } from './terminal-text';
import { formatBytes, formatCount, padEnd, padStart, SCREEN_COLUMNS, type Style, truncate, wrap } from './style';

function overcommitMeaning(machine: MachineSummary): string {
  switch (machine.overcommit) {
    case 0: return `a fork fails when one private writable mapping it copies is larger than RAM + swap (${formatBytes(machine.totalRamBytes + machine.totalSwapBytes)}).`;
    case 1: return 'memory accounting never refuses a fork. Nothing fails early; the OOM killer decides.';
    case 2: return `a fork fails when Committed_AS plus everything it copies reaches CommitLimit (${formatBytes(machine.commitLimitBytes)}).`;
  }
}

/**
 * Memory PSI avg10 and the OOM killer's count, one per line (together they overflow 80 columns): what decides
 * once nothing fails early. '' when neither is known.
 */
function oomSide(machine: MachineSummary): string {
  const parts: string[] = [];
  if (machine.memoryPressure) {
    const percent = (ratio: number): string => `${(ratio * 100).toFixed(2)} %`;
    parts.push(`memory pressure (avg10) some ${percent(machine.memoryPressure.some)}, full ${percent(machine.memoryPressure.full)}`);
  }
  if (machine.oomKills !== undefined && machine.oomKills !== null) parts.push(`OOM kills since boot ${formatCount(machine.oomKills)}`);
  return parts.join('\n');
}

/** The text of each cell of one table row, before padding and colour: what --watch compares. */
export interface RowCells {
  status: string;
  vma: string;
  headroom: string;
  tasks: string;
  why: string;
}

/** What the previous frame showed, so the next one can mark changes. */
export interface SummaryFrame {
  machine: Map<string, string>;
  rows: Map<number, RowCells>;
}

const STATUS_TEXT = { fails: 'CANNOT', 'at-risk': 'RISK', unknown: 'UNKNOWN', ok: 'ok' } as const;

const SHORT_CAUSE: Readonly<Record<ForkCause, string>> = {
  'vma-exceeds-ram-swap': 'vma',
  'commit-limit': 'commit',
  'rlimit-nproc': 'nproc',
  'threads-max': 'threads',
  'pid-max': 'pid_max',
  'cgroup-pids': 'cgroup',
};

function why(entry: ProcessEntry, report: ForkReport | null): string {
  if (!report) return entry.error?.code ?? 'unreadable';
  const [first, ...more] = report.reasons;
  if (first) return `${first.code} ${SHORT_CAUSE[first.cause]}${more.length > 0 ? ` +${more.length}` : ''}`;
  if (report.verdict === 'at-risk') return `near ${SHORT_CAUSE[nearestLimit(report)]}`;
  if (report.verdict === 'unknown') return report.warnings[0]?.cause ?? 'unknown';
  return '';
}

// maps unreadable: canFork bounded the VMAs by VmSize, which says nothing about the largest one.
function unknownVmas(report: ForkReport): boolean {
  return !report.memory.exact && report.memory.largestAccountable === null && report.memory.accountableBytes > 0;
}

export function rowCells(entry: ProcessEntry): RowCells {
  const report = entry.report;
  const tasks = report ? tightestTaskLimit(report) : null;
  return {
    status: STATUS_TEXT[verdictOf(entry)],
    vma: !report || unknownVmas(report) ? '?' : formatBytes(report.memory.largestAccountable?.bytes ?? 0),
    headroom: !report || (report.verdict === 'unknown' && unknownVmas(report)) ? '?'
      : report.memory.headroomBytes === null ? 'no limit' : formatBytes(report.memory.headroomBytes),
    tasks: tasks ? `${tasks.used}/${tasks.limit === Infinity ? 'max' : tasks.limit}` : '?',
    why: why(entry, report),
  };
}

// marker 1 | pid 7 | comm 15 | status 7 | vma 9 | headroom 10 | tasks 11 | why 14 = 80 with separators.
const WIDTHS = { pid: 7, comm: 15, status: 7, vma: 9, headroom: 10, tasks: 11, why: 14 };

function tableHeader(style: Style): string {
  return style.bold([
    ` ${padStart('PID', WIDTHS.pid)}`, padEnd('COMMAND', WIDTHS.comm), padEnd('STATUS', WIDTHS.status),
    padStart('BIG VMA', WIDTHS.vma), padStart('HEADROOM', WIDTHS.headroom), padStart('TASKS/LIM', WIDTHS.tasks), 'WHY',
  ].join(' '));
}

function statusColour(status: string, style: Style): (text: string) => string {
  if (status === STATUS_TEXT.fails) return (text) => style.red(style.bold(text));
  if (status === STATUS_TEXT['at-risk']) return style.yellow;
  if (status === STATUS_TEXT.unknown) return style.dim;
  return style.green;
}

function tableRow(entry: ProcessEntry, cells: RowCells, previous: RowCells | undefined, watching: boolean, style: Style): string {
  const changed = (key: keyof RowCells): boolean => previous !== undefined && previous[key] !== cells[key];
  const anyChange = (Object.keys(cells) as (keyof RowCells)[]).some(changed);
  const marker = !watching ? ' ' : previous === undefined ? '+' : anyChange ? '*' : ' ';
  const cell = (key: keyof RowCells, text: string, colour: (t: string) => string = (t) => t): string =>
    (changed(key) ? style.inverse(colour(text)) : colour(text));
  return [
    `${marker}${padStart(String(entry.pid), WIDTHS.pid)}`,
    padEnd(entry.comm, WIDTHS.comm),
    cell('status', padEnd(cells.status, WIDTHS.status), statusColour(cells.status, style)),
    cell('vma', padStart(cells.vma, WIDTHS.vma)),
    cell('headroom', padStart(cells.headroom, WIDTHS.headroom)),
    cell('tasks', padStart(cells.tasks, WIDTHS.tasks)),
    cell('why', truncate(cells.why, WIDTHS.why), cells.status === STATUS_TEXT.fails ? style.red : undefined),
  ].join(' ').trimEnd();
}

function machineValues(scan: Scan): Map<string, string> {
  const { machine } = scan;
  const counts = { fails: 0, 'at-risk': 0, unknown: 0, ok: 0 };
  for (const entry of scan.processes) counts[verdictOf(entry)]++;
  return new Map([
    ['RAM', formatBytes(machine.totalRamBytes)],
    ['swap', formatBytes(machine.totalSwapBytes)],
    ['CommitLimit', formatBytes(machine.commitLimitBytes)],
    ['Committed_AS', formatBytes(machine.committedBytes)],
    ['MemAvailable', machine.availableBytes === undefined ? '' : formatBytes(machine.availableBytes)],
    ['pressure', oomSide(machine)],
    ['threads', `${formatCount(machine.threads.current)} of ${formatCount(machine.threads.max)}`],
    ['pids', `${formatCount(machine.pids.tasks)} tasks of ${formatCount(machine.pids.max)}`],
    ['cannot fork', String(counts.fails)],
    ['at risk', String(counts['at-risk'])],
    ['unknown', String(counts.unknown)],
    ['ok', String(counts.ok)],
  ]);
}

function machineLines(scan: Scan, values: Map<string, string>, previous: SummaryFrame | undefined, style: Style): string[] {
  const value = (key: string): string => {
    const text = values.get(key) ?? '';
    const before = previous?.machine.get(key);
    if (before === undefined || before === text) return text;
    return style.enabled ? style.inverse(text) : `${text}*`;
  };
  const label = (text: string): string => style.bold(text.padEnd(12));
  const pressureBefore = previous?.machine.get('pressure');
  const pressureChanged = pressureBefore !== undefined && pressureBefore !== values.get('pressure');
  const pressureLines = (values.get('pressure') ?? '').split('\n').filter((line) => line !== '').map((line, index) =>
    (index === 0 ? label('OOM side') : ' '.repeat(12)) + (!pressureChanged ? line : style.enabled ? style.inverse(line) : `${line}*`));
  const meaning = wrap(`mode ${scan.machine.overcommit} (${OVERCOMMIT_MODE_NAMES[scan.machine.overcommit]}): ${overcommitMeaning(scan.machine)}`, SCREEN_COLUMNS - 12);
  const failing = Number(values.get('cannot fork'));
  const cannot = `${value('cannot fork')} cannot fork`;
  return [
    ...meaning.map((line, index) => (index === 0 ? label('Overcommit') : ' '.repeat(12)) + line),
    `${label('Memory')}RAM ${value('RAM')}, swap ${value('swap')}, CommitLimit ${value('CommitLimit')},`,
    `${' '.repeat(12)}Committed_AS ${value('Committed_AS')}${values.get('MemAvailable') ? `, MemAvailable ${value('MemAvailable')}` : ''}`,
    ...pressureLines,
    `${label('Threads')}${value('threads')} (kernel.threads-max)`,
    `${label('Pids')}${value('pids')} (kernel.pid_max)`,
    `${label('Processes')}${failing > 0 ? style.red(style.bold(cannot)) : cannot}, ${value('at risk')} at risk, ` +
      `${value('unknown')} unknown, ${value('ok')} ok`,
    ...(scan.skippedKernelThreads > 0 ? [`${' '.repeat(12)}(${scan.skippedKernelThreads} kernel threads and zombies not listed)`] : []),
    ...(scan.hidepid !== null ? [`${' '.repeat(12)}(/proc is mounted ${safeText(scan.hidepid)}: other users' processes are hidden)`] : []),
  ];
}

/**
 * The machine summary and the ranked table. With `previous` (from the last --watch frame), rows and
 * values that changed are marked: `*` in the first column and reverse video on a terminal, `+` for a
 * process that was not there before.
 */
export function renderSummary(
  unsafeScan: Scan,
  style: Style,
  previous?: SummaryFrame,
  /** Lines the text may take (a terminal's height for --watch); the lowest-risk rows give way. */
  maxLines = Infinity,
): { text: string; frame: SummaryFrame } {
  // Every string from /proc (comm, paths in the reasons) with controls shown as '?', as ps does.
  const scan = { ...unsafeScan, processes: unsafeScan.processes.map((entry) => safeStrings(entry)) };
  const watching = previous !== undefined;
  const values = machineValues(scan);
  const rows = new Map<number, RowCells>();
  const lines = [
    `${style.bold('canfork')}: can each process fork? ${scan.takenAt.toISOString().replace(/\.\d+Z$/, 'Z')}`,
    '',
    ...machineLines(scan, values, previous, style),
    '',
    tableHeader(style),
  ];
  const ranked = rankByRisk(scan.processes);
  const tableLines: string[] = [];
  for (const entry of ranked) {
    const cells = rowCells(entry);
    rows.set(entry.pid, cells);
    tableLines.push(tableRow(entry, cells, previous?.rows.get(entry.pid), watching, style));
  }
  const trailer: string[] = [];
  if (previous) {
    const gone = [...previous.rows.keys()].filter((pid) => !rows.has(pid));
    if (gone.length > 0) trailer.push(...wrap(`exited since the last refresh: ${gone.join(' ')}`, SCREEN_COLUMNS - 1).map((l) => ` ${l}`));
  }
  const room = Math.max(1, maxLines - lines.length - trailer.length);
  if (tableLines.length > room) {
    const hidden = ranked.slice(room - 1);
    const verdicts = [...new Set(hidden.map(verdictOf))].join(', ');
    tableLines.splice(room - 1, Infinity, style.dim(` ... ${hidden.length} more (${verdicts}) below the screen; canfork --json lists all`));
  }
  return { text: [...lines, ...tableLines, ...trailer].join('\n'), frame: { machine: values, rows } };
}
