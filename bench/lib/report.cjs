// The markdown tables for the README and the verdict on each target from issue #6.
const { GiB } = require('./memory.cjs');

const notMeasured = 'not yet measured';

function rssLabel(rssBytes) {
  return `${Number((rssBytes / GiB).toFixed(2))} GiB`;
}

/** 3 significant digits, without exponent notation. */
function significant(value) {
  if (value >= 100) return value.toFixed(0);
  return String(Number(value.toPrecision(3)));
}

function ms(summary) {
  if (!summary) return notMeasured;
  return `${significant(summary.median)} ms (${significant(summary.min)}–${significant(summary.max)})`;
}

function ns(summary) {
  if (!summary) return notMeasured;
  return `${significant(summary.median)} ns (${significant(summary.min)}–${significant(summary.max)})`;
}

function ratio(numerator, denominator) {
  return numerator === null || denominator === null || denominator === 0 ? null : numerator / denominator;
}

function times(value) {
  return value === null ? notMeasured : `${significant(value)}×`;
}

function table(header, rows) {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** "1.2× at 0 GiB, 1.3× at 1 GiB" — or just "not yet measured" when no level has the figure. */
function perLevel(rows, values, format) {
  if (values.every((value) => value === null)) return notMeasured;
  return rows.map((row, i) => `${values[i] === null ? notMeasured : format(values[i])} at ${rssLabel(row.rssBytes)}`).join(', ');
}

/** "; with no spawns at all: 0.5 ms at 0 GiB, …" — how much of a stall the machine itself caused. */
function idleControl(rows) {
  const idle = rows.map((row) => row.idleStallMs ?? null);
  if (idle.every((value) => value === null)) return '';
  return `; with no spawns at all: ${perLevel(rows, idle, (stall) => `${significant(stall)} ms`)}`;
}

/** "; C posix_spawn blocked its caller up to 1.2 ms at 0 GiB, …" — the kernel's own tail for a vfork. */
function blockedFloor(rows) {
  const blocked = rows.map((row) => row.stats?.posixSpawnBlockedMs?.max ?? null);
  if (blocked.every((value) => value === null)) return '';
  // A longest value grows with the number of samples: say how many each side had.
  const count = (key) => rows.find((row) => row.stats?.[key])?.stats[key].n;
  const samples = count('canforkCallMs') ? ` (${count('posixSpawnBlockedMs')} C spawns per level, ${count('canforkCallMs')} canfork ones)` : '';
  return `; C posix_spawn (a vfork too) blocked its caller up to ${perLevel(rows, blocked, (max) => `${significant(max)} ms`)}${samples}`;
}

/** Evaluates every target; each item is { target, status: 'met' | 'missed' | 'not measured', detail }. */
function evaluateTargets(results) {
  const targets = [];
  const add = (target, values, passes, detail) => {
    const measured = values.every((value) => value !== null && value !== undefined);
    targets.push({ target, status: !measured || values.length === 0 ? 'not measured' : passes() ? 'met' : 'missed', detail });
  };
  const at8 = results.spawn.find((row) => row.rssBytes === 8 * GiB);
  const forkAt8 = results.canFork.find((row) => row.rssBytes === 8 * GiB && row.addedMappings === undefined);

  const floorRatios = results.spawn.map((row) => ratio(row.canforkMs, row.posixSpawnMs));
  add('canfork spawn within 1.5× of C posix_spawn at every RSS', floorRatios, () => floorRatios.every((r) => r <= 1.5),
    perLevel(results.spawn, floorRatios, times));

  const speedup = at8 ? ratio(at8.childProcessMs, at8.canforkMs) : null;
  add('canfork spawn ≥ 200× faster than child_process at 8 GiB', [speedup], () => speedup >= 200,
    !at8 ? 'no 8 GiB run (quick mode)'
      : at8.canforkMs === null ? `${notMeasured} (child_process ${significant(at8.childProcessMs)} ms)`
        : `${times(speedup)} (${significant(at8.childProcessMs)} ms vs ${significant(at8.canforkMs)} ms)`);

  const stalls = results.spawn.map((row) => row.canforkStallMs);
  add('canfork event-loop stall < 1 ms at any RSS', stalls, () => stalls.every((s) => s < 1),
    perLevel(results.spawn, stalls, (stall) => `${significant(stall)} ms`) + idleControl(results.spawn) + blockedFloor(results.spawn));

  const forkMs = forkAt8?.canForkMs ?? null;
  add('canFork() < 1 ms at 8 GiB resident', [forkAt8 ? forkMs : null], () => forkMs < 1,
    forkAt8 ? (forkMs === null ? notMeasured : `${significant(forkMs)} ms`) : 'no 8 GiB run (quick mode)');
  const smapsRatio = forkAt8 ? ratio(forkAt8.smapsMs, forkMs) : null;
  add('canFork() ≥ 50× cheaper than the smaps method at 8 GiB', [smapsRatio], () => smapsRatio >= 50,
    forkAt8 ? `${times(smapsRatio)} (smaps ${significant(forkAt8.smapsMs)} ms)` : 'no 8 GiB run (quick mode)');
  const mapsRatio = forkAt8 ? ratio(forkMs, forkAt8.mapsMs) : null;
  add('canFork() within 5× of the bare /proc/self/maps read at 8 GiB', [mapsRatio], () => mapsRatio <= 5,
    forkAt8 ? `${times(mapsRatio)} (maps ${significant(forkAt8.mapsMs)} ms)` : 'no 8 GiB run (quick mode)');

  const callRatios = results.calls.map((call) => ratio(call.ns, call.cNs));
  add('call overhead within 2× of C', callRatios, () => callRatios.every((r) => r <= 2),
    results.calls.map((call, i) => `${call.name} ${times(callRatios[i])}`).join(', '));
  return targets;
}

/** When and where the run happened, and how busy the shared machine was meanwhile. */
function machineLine(results) {
  const m = results.machine;
  const when = results.startedAt.replace('T', ' ').replace(/:\d\d\.\d+Z$/, ' UTC');
  const load = m.load
    ? ` While it ran, other processes kept ${m.load.otherProcessesBusyCores} of the ${m.cores} cores busy on average` +
      ` (1-minute load average ${m.load.loadAverage1mStart} at the start, ${m.load.loadAverage1mEnd} at the end).`
    : '';
  const source = results.source ? ` of commit ${results.source.commit}${results.source.uncommittedSources ? ' (plus uncommitted src/ or native/ changes)' : ''}` : '';
  return `${results.mode === 'full' ? 'Full' : 'Quick'} run${source}, ${when} (${results.durationSeconds ?? '?'} s): ${m.cpu}, ${m.cores} cores, ` +
    `${(m.memBytes / GiB).toFixed(1)} GiB RAM, Linux ${m.kernel}, Node ${m.node}.${load}`;
}

function markdownReport(results) {
  const s = (row, key) => row.stats[key] ?? null;
  const spawnTable = table(
    ['parent RSS', 'child_process.spawn', 'canfork spawn', 'canfork spawnSync', 'C posix_spawn', 'stall child_process', 'stall canfork', 'stall, no spawns'],
    results.spawn.map((row) => [rssLabel(row.rssBytes), ms(s(row, 'childProcessMs')), ms(s(row, 'canforkMs')), ms(s(row, 'canforkSyncMs')),
      ms(s(row, 'posixSpawnMs')), ms(s(row, 'childProcessStallMs')), ms(s(row, 'canforkStallMs')), ms(s(row, 'idleStallMs'))]));
  const callTimeTable = table(['parent RSS', 'child_process.spawn()', 'canfork spawn()', 'C posix_spawn()'],
    results.spawn.map((row) => [rssLabel(row.rssBytes), ms(s(row, 'childProcessCallMs')), ms(s(row, 'canforkCallMs')), ms(s(row, 'posixSpawnBlockedMs'))]));
  const forkTable = table(
    ['parent RSS', 'VMAs', 'canFork()', 'smaps read + parse', 'maps read', 'smaps ÷ canFork', 'canFork ÷ maps'],
    results.canFork.map((row) => [rssLabel(row.rssBytes), row.addedMappings === undefined ? String(row.vmas) : `${row.vmas} (+${row.addedMappings} mmaps)`,
      ms(s(row, 'canForkMs')), ms(s(row, 'smapsMs')), ms(s(row, 'mapsMs')),
      times(ratio(row.smapsMs, row.canForkMs)), times(ratio(row.canForkMs, row.mapsMs))]));
  const callTable = table(['call', 'canfork', 'C loop', 'canfork ÷ C'],
    results.calls.map((call) => [`\`${call.name}\``, ns(call.stats.ns), ns(call.stats.cNs), times(ratio(call.ns, call.cNs))]));
  const targetLines = evaluateTargets(results).map((t) => `- **${t.status}**: ${t.target} — ${t.detail}`);
  return [
    machineLine(results), '',
    'Spawn of `/bin/true`, from call to exit, by resident memory of the parent (median, min–max in brackets):',
    '', spawnTable, '',
    'The stall columns are the longest event-loop delay seen while spawning (monitorEventLoopDelay at 1 ms,',
    'minus that 1 ms); on a busy machine they include time the process waited for a core. "stall, no spawns" is',
    'the control: the same measure over a stretch with no spawn at all. The time spent inside the `spawn()`',
    'call itself, which blocks the loop whatever else runs, is below; glibc\'s `posix_spawn()` is a vfork too',
    '(it returns once the child has exec\'d), so its column is the floor for that block:', '', callTimeTable, '',
    'Cost of one fork check (the smaps method reads all of `/proc/self/smaps` and finds the largest `ac` VMA):',
    '', forkTable, '',
    'Call overhead, per call:', '', callTable, '',
    'Targets (reported, never asserted):', '', ...targetLines, '',
    ...(results.notes.length ? ['Notes:', '', ...results.notes.map((note) => `- ${note}`), ''] : []),
  ].join('\n');
}

module.exports = { rssLabel, evaluateTargets, markdownReport };
