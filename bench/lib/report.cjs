// The markdown tables for the README, where canfork is ahead of or behind each peer, and the verdict on each
// target (issues #6 and #16). Every figure is written as median, p99 and sample count.
const { GiB } = require('./memory.cjs');
const { ratio } = require('./stats.cjs');

const notMeasured = 'not yet measured';

function rssLabel(rssBytes) {
  return `${Number((rssBytes / GiB).toFixed(2))} GiB`;
}

/** 3 significant digits, without exponent notation. */
function significant(value) {
  if (Math.abs(value) >= 100) return value.toFixed(0);
  return String(Number(value.toPrecision(3)));
}

/** "0.88 ms (p99 2.1, n 300)"; min–max instead of p99 for results recorded before p99 was. */
function figure(summary, unit) {
  if (!summary) return notMeasured;
  const spread = summary.p99 === undefined ? `${significant(summary.min)}–${significant(summary.max)}` : `p99 ${significant(summary.p99)}`;
  return `${significant(summary.median)} ${unit} (${spread}, n ${summary.n})`;
}

const ms = (summary) => figure(summary, 'ms');
const ns = (summary) => figure(summary, 'ns');

/** Spawns per second: the median round with the slowest and fastest round (higher is better). */
function perSecond(summary) {
  if (!summary) return notMeasured;
  return `${significant(summary.median)}/s (${significant(summary.min)}–${significant(summary.max)}, n ${summary.n})`;
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
  return rows.map((row, i) => `${values[i] === null ? notMeasured : format(values[i], row)} at ${rssLabel(row.rssBytes)}`).join(', ');
}

/** The same ratio in each pass of the level (row.passRatios), when there were passes and all measured it. */
function passValues(row, passKey) {
  const values = passKey ? row.passRatios?.[passKey] : undefined;
  return values && values.length > 1 && values.every((value) => value !== null && value !== undefined) ? values : null;
}

/** "1.05×", then " (passes 0.98–1.1×)" when the level ran in passes. */
function ratioWithPasses(value, row, passKey) {
  if (value === null) return notMeasured;
  const values = passValues(row, passKey);
  return values ? `${times(value)} (passes ${significant(Math.min(...values))}–${times(Math.max(...values))})` : times(value);
}

/**
 * A level's verdict on a ratio goal: met or missed when the pooled ratio and every pass agree, undecided when
 * the passes fall on both sides of the bound (the machine's drift is then larger than the gap).
 */
function levelVerdict(value, row, passKey, meets) {
  if (value === null) return 'not measured';
  const judged = [value, ...(passValues(row, passKey) ?? [])];
  if (judged.every(meets)) return 'met';
  return judged.every((each) => !meets(each)) ? 'missed' : 'undecided';
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

const stat = (row, key, field = 'median') => row.stats?.[key]?.[field] ?? null;

/**
 * The comparisons issue #16 asks about, each level by level: [label, canfork key, peer key, lowerIsBetter].
 * The peer side may be C's posix_spawn too. A fifth element names the comparison's ratio per pass (row.passRatios).
 */
const comparisons = [
  ['canfork spawn vs Bun.spawn (call to exit)', 'canforkMs', 'bunMs', true, 'canforkVsBun'],
  ['canfork/register child_process.spawn vs Bun.spawn (call to exit)', 'registerMs', 'bunMs', true, 'registerVsBun'],
  ['canfork spawnSync vs Bun.spawnSync', 'canforkSyncMs', 'bunSyncMs', true, 'spawnSyncVsBunSync'],
  ['canfork spawn vs Deno Command.spawn (call to exit)', 'canforkMs', 'denoMs', true],
  ['canfork spawnSync vs Deno Command.outputSync', 'canforkSyncMs', 'denoSyncMs', true],
  ['canfork spawn() call vs Bun.spawn() call (event loop blocked)', 'canforkCallMs', 'bunCallMs', true],
  ['canfork spawn() call vs Deno spawn() call (event loop blocked)', 'canforkCallMs', 'denoCallMs', true],
  ['canfork throughput vs Bun (8 in flight)', 'canforkPerSecond', 'bunPerSecond', false, 'throughputVsBun'],
  ['canfork throughput vs Deno (8 in flight)', 'canforkPerSecond', 'denoPerSecond', false],
];

/**
 * Where canfork is ahead and where it is behind, from the medians of this run only: one line per
 * comparison that has figures, saying at which sizes each way and by how much. A level whose passes
 * fall on both sides is said to be so, whatever its pooled medians say.
 */
function standings(results) {
  const lines = [];
  for (const [label, ours, theirs, lowerIsBetter, passKey] of comparisons) {
    const levels = results.spawn
      .map((row) => ({ row, ours: stat(row, ours), theirs: stat(row, theirs) }))
      .filter((level) => level.ours !== null && level.theirs !== null);
    if (levels.length === 0) continue;
    const describe = (level) => `${rssLabel(level.row.rssBytes)} (${significant(level.ours)} vs ${significant(level.theirs)}${lowerIsBetter ? ' ms' : '/s'})`;
    const mixed = levels.filter((level) => {
      const values = passValues(level.row, passKey);
      return values !== null && values.some((value) => value < 1) && values.some((value) => value > 1);
    });
    // Equal to the 3 significant digits shown: neither ahead nor behind.
    const even = levels.filter((level) => !mixed.includes(level) && significant(level.ours) === significant(level.theirs));
    const settled = levels.filter((level) => !mixed.includes(level) && !even.includes(level));
    const ahead = settled.filter((level) => (lowerIsBetter ? level.ours < level.theirs : level.ours > level.theirs));
    const behind = settled.filter((level) => !ahead.includes(level));
    const parts = [];
    if (ahead.length) parts.push(`**ahead** at ${ahead.map(describe).join(', ')}`);
    if (behind.length) parts.push(`**behind** at ${behind.map(describe).join(', ')}`);
    if (mixed.length) parts.push(`ahead in some passes and behind in others at ${mixed.map(describe).join(', ')}`);
    if (even.length) parts.push(`even at ${even.map(describe).join(', ')}`);
    lines.push(`- ${label}: ${parts.join('; ')}`);
  }
  return lines;
}

/** Evaluates every target; each item is { target, status: 'met' | 'missed' | 'undecided' | 'not measured', detail }. */
function evaluateTargets(results) {
  const targets = [];
  const add = (target, values, holds, detail) => {
    const measured = values.every((value) => value !== null && value !== undefined);
    targets.push({ target, status: !measured || values.length === 0 ? 'not measured' : holds() ? 'met' : 'missed', detail });
  };
  const rows = results.spawn;
  const at8 = rows.find((row) => row.rssBytes === 8 * GiB);
  const forkAt8 = results.canFork.find((row) => row.rssBytes === 8 * GiB && row.addedMappings === undefined);

  // Issue #16: against the peers, in the same run, level by level and pass by pass.
  const byLevel = (target, ours, theirs, passKey, meets, field = 'median') => {
    const ratios = rows.map((row) => ratio(stat(row, ours, field), stat(row, theirs, field)));
    const verdicts = rows.map((row, i) => levelVerdict(ratios[i], row, passKey, meets));
    const status = verdicts.length === 0 || verdicts.includes('not measured') ? 'not measured'
      : ['missed', 'undecided'].find((verdict) => verdicts.includes(verdict)) ?? 'met';
    targets.push({ target, status, detail: perLevel(rows, ratios, (value, row) => ratioWithPasses(value, row, passKey)) });
  };
  const atMostOne = (value) => value <= 1;
  byLevel('canfork spawn ≤ Bun.spawn (call to exit) at every RSS', 'canforkMs', 'bunMs', 'canforkVsBun', atMostOne);
  byLevel('canfork/register child_process.spawn ≤ Bun.spawn (call to exit) at every RSS', 'registerMs', 'bunMs', 'registerVsBun', atMostOne);
  byLevel('canfork spawnSync ≤ Bun.spawnSync at every RSS', 'canforkSyncMs', 'bunSyncMs', 'spawnSyncVsBunSync', atMostOne);
  for (const [field, passKey] of [['median', 'callVsPosixSpawn'], ['p99', null]]) {
    byLevel(`event loop blocked per spawn ≤ 1.2× C posix_spawn's (${field})`, 'canforkCallMs', 'posixSpawnBlockedMs', passKey, (value) => value <= 1.2, field);
  }
  byLevel('throughput with 8 in flight ≥ Bun\'s', 'canforkPerSecond', 'bunPerSecond', 'throughputVsBun', (value) => value >= 1);
  const forkMs = forkAt8?.canForkMs ?? null;
  const mapsRatio = forkAt8 ? ratio(forkMs, forkAt8.mapsMs) : null;
  add('canFork() within 3× of the bare /proc/self/maps read at 8 GiB', [mapsRatio], () => mapsRatio <= 3,
    forkAt8 ? `${times(mapsRatio)} (${significant(forkMs ?? 0)} ms vs maps ${significant(forkAt8.mapsMs)} ms)` : 'no 8 GiB run (quick mode)');

  // Issue #6.
  const floorRatios = rows.map((row) => ratio(row.canforkMs, row.posixSpawnMs));
  add('canfork spawn within 1.5× of C posix_spawn at every RSS', floorRatios, () => floorRatios.every((r) => r <= 1.5),
    perLevel(rows, floorRatios, times));
  const speedup = at8 ? ratio(at8.childProcessMs, at8.canforkMs) : null;
  add('canfork spawn ≥ 200× faster than child_process at 8 GiB', [speedup], () => speedup >= 200,
    !at8 ? 'no 8 GiB run (quick mode)'
      : at8.canforkMs === null ? `${notMeasured} (child_process ${significant(at8.childProcessMs)} ms)`
        : `${times(speedup)} (${significant(at8.childProcessMs)} ms vs ${significant(at8.canforkMs)} ms)`);
  const stalls = rows.map((row) => row.canforkStallMs);
  add('canfork event-loop stall < 1 ms at any RSS', stalls, () => stalls.every((s) => s < 1),
    perLevel(rows, stalls, (stall) => `${significant(stall)} ms`) + idleControl(rows) + blockedFloor(rows));
  add('canFork() < 1 ms at 8 GiB resident', [forkAt8 ? forkMs : null], () => forkMs < 1,
    forkAt8 ? (forkMs === null ? notMeasured : `${significant(forkMs)} ms`) : 'no 8 GiB run (quick mode)');
  const smapsRatio = forkAt8 ? ratio(forkAt8.smapsMs, forkMs) : null;
  add('canFork() ≥ 50× cheaper than the smaps method at 8 GiB', [smapsRatio], () => smapsRatio >= 50,
    forkAt8 ? `${times(smapsRatio)} (smaps ${significant(forkAt8.smapsMs)} ms)` : 'no 8 GiB run (quick mode)');
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
  const peers = Object.entries(results.peers ?? {}).filter(([, peer]) => peer).map(([name, peer]) => `${name === 'bun' ? 'Bun' : 'Deno'} ${peer.version}`);
  return `${results.mode === 'full' ? 'Full' : 'Quick'} run${source}, ${when} (${results.durationSeconds ?? '?'} s): ${m.cpu}, ${m.cores} cores, ` +
    `${(m.memBytes / GiB).toFixed(1)} GiB RAM, Linux ${m.kernel}, Node ${m.node}${peers.length ? `, ${peers.join(', ')}` : ''}.${load}`;
}

function kib(bytes) {
  return bytes === null || bytes === undefined ? notMeasured : `${significant(bytes / 1024)} KiB`;
}

/** Each spawner's name in the tables, in their column order; its figures are keyed `${spawner}Ms`, `${spawner}ColdMs`, …. */
const spawnerNames = {
  childProcess: 'child_process.spawn', canfork: 'canfork spawn', register: 'canfork/register child_process.spawn', canforkSync: 'canfork spawnSync',
  bun: 'Bun.spawn', bunSync: 'Bun.spawnSync', deno: 'Deno spawn', denoSync: 'Deno outputSync',
};
const spawnerKeys = Object.keys(spawnerNames);
const spawnerColumns = Object.values(spawnerNames);

function memoryTable(results) {
  return table(['stdio', 'spawner', 'JS heap per child', 'outside the JS heap per child', 'RSS per child', 'children alive'],
    (results.memory ?? []).map((row) => [`'${row.stdio}'`, spawnerNames[row.spawner] ?? row.spawner, kib(row.heapUsedBytes), kib(row.outsideHeapBytes),
      kib(row.rssBytes), String(row.children)]));
}

function cliScanLine(results) {
  const scan = results.cliScan;
  if (!scan) return `The CLI's scan cost per process: ${notMeasured}.`;
  return `CPU time of one full scan of the machine (the one-shot CLI, and each --serve scrape that scans), per /proc ` +
    `entry: ${figure(scan.perEntryUs, 'µs')} over ${scan.entries} entries; the goal is 50 µs.`;
}

function cgroupLine(results) {
  const cgroup = results.cgroup;
  if (!cgroup) return `The cost of \`cgroup: true\` per spawn: ${notMeasured} (see the notes).`;
  return `The cost of \`cgroup: true\` per spawn (0 GiB, taking turns with plain spawns): ${significant(cgroup.costMs)} ms more from call to exit ` +
    `(${ms(cgroup.stats.canforkCgroupMs)} against ${ms(cgroup.stats.canforkMs)}); the spawn() call itself ${ms(cgroup.stats.canforkCgroupCallMs)} ` +
    `against ${ms(cgroup.stats.canforkCallMs)}.`;
}

/** Per spawner, its process's CPU time per spawn over each batch of the warm-up, at the first level that has them. */
function settlingTable(rows, batchSpawns) {
  const row = rows.find((candidate) => Object.keys(candidate.settlingCpuUs ?? {}).length > 0);
  if (!row) return null;
  const lists = Object.entries(row.settlingCpuUs);
  const batches = Math.max(...lists.map(([, list]) => list.length));
  const header = Array.from({ length: batches }, (_, batch) => `${batch * batchSpawns + 1}–${(batch + 1) * batchSpawns}`);
  return { rssBytes: row.rssBytes, table: table(['spawner', ...header],
    lists.map(([name, list]) => [spawnerNames[name] ?? name, ...header.map((_, batch) => (list[batch] === undefined || list[batch] === null
      ? '–' : `${significant(list[batch])} µs`))])) };
}

/**
 * How the spawners were warmed before their timed spawns, and what the warm-up showed: a JIT-compiled spawner is
 * timed once its engine has settled; its first spawns in a fresh process, and how it settled, are shown apart.
 */
function warmUpLines(warmUp, coldTable, rows) {
  if (!warmUp) return ['Each spawner was timed after 3 untimed spawns, with no warm-up beyond them.', ''];
  const settling = settlingTable(rows, warmUp.coldSpawns);
  return [
    `Every spawner above was timed after a warm-up of ${warmUp.spawns} spawns or ${significant(warmUp.ms / 1000)} s, whichever ended first`,
    '(`bench/lib/warm-up.mjs`), so those figures are what a long-lived process gets once its engine has compiled the',
    'spawner\'s JavaScript. A process that spawns only now and then gets the figures below:',
    `the first ${warmUp.coldSpawns} spawns of each process (after ${warmUp.untimedSpawns ?? 3} untimed ones that fill the page cache), pooled over the passes:`,
    '', coldTable, '',
    ...(settling ? [
      `How each spawner settled at ${rssLabel(settling.rssBytes)}: its process's CPU time (user + system, all threads, so the engine's`,
      `compilers and collector too) per spawn over each ${warmUp.coldSpawns} spawns of the warm-up, the median of the passes:`, '',
      settling.table, '',
    ] : []),
  ];
}

function markdownReport(results) {
  const s = (row, key) => row.stats[key] ?? null;
  const rows = results.spawn;
  const spawnTable = table(['parent RSS', ...spawnerColumns, 'C posix_spawn'],
    rows.map((row) => [rssLabel(row.rssBytes), ...[...spawnerKeys.map((name) => `${name}Ms`), 'posixSpawnMs'].map((key) => ms(s(row, key)))]));
  const ratioTable = table(
    ['parent RSS', 'canfork ÷ Bun.spawn', 'register ÷ Bun.spawn', 'spawnSync ÷ Bun.spawnSync', 'canfork ÷ Deno spawn', 'spawnSync ÷ Deno outputSync',
      'canfork ÷ C', 'child_process ÷ canfork'],
    rows.map((row) => [rssLabel(row.rssBytes), ...[['canforkMs', 'bunMs', 'canforkVsBun'], ['registerMs', 'bunMs', 'registerVsBun'],
      ['canforkSyncMs', 'bunSyncMs', 'spawnSyncVsBunSync'], ['canforkMs', 'denoMs'], ['canforkSyncMs', 'denoSyncMs'], ['canforkMs', 'posixSpawnMs'],
      ['childProcessMs', 'canforkMs']].map(([a, b, passKey]) => ratioWithPasses(ratio(stat(row, a), stat(row, b)), row, passKey))]));
  const coldTable = table(['parent RSS', ...spawnerColumns, 'canfork ÷ Bun.spawn', 'spawnSync ÷ Bun.spawnSync'],
    rows.map((row) => [rssLabel(row.rssBytes), ...spawnerKeys.map((name) => ms(s(row, `${name}ColdMs`))),
      times(ratio(stat(row, 'canforkColdMs'), stat(row, 'bunColdMs'))), times(ratio(stat(row, 'canforkSyncColdMs'), stat(row, 'bunSyncColdMs')))]));
  const callTimeTable = table(
    ['parent RSS', 'child_process.spawn()', 'canfork spawn()', 'register child_process.spawn()', 'Bun.spawn()', 'Deno spawn()', 'C posix_spawn()',
      'canfork ÷ C (median)', 'canfork ÷ C (p99)'],
    rows.map((row) => [rssLabel(row.rssBytes), ...['childProcessCallMs', 'canforkCallMs', 'registerCallMs', 'bunCallMs', 'denoCallMs', 'posixSpawnBlockedMs']
      .map((key) => ms(s(row, key))),
    ratioWithPasses(ratio(stat(row, 'canforkCallMs'), stat(row, 'posixSpawnBlockedMs')), row, 'callVsPosixSpawn'),
    times(ratio(stat(row, 'canforkCallMs', 'p99'), stat(row, 'posixSpawnBlockedMs', 'p99')))]));
  const stallTable = table(['parent RSS', 'stall child_process', 'stall canfork', 'stall, no spawns'],
    rows.map((row) => [rssLabel(row.rssBytes), ms(s(row, 'childProcessStallMs')), ms(s(row, 'canforkStallMs')), ms(s(row, 'idleStallMs'))]));
  const throughputTable = table(
    ['parent RSS', 'child_process.spawn', 'canfork spawn', 'canfork/register child_process.spawn', 'Bun.spawn', 'Deno spawn', 'canfork ÷ Bun', 'canfork ÷ Deno'],
    rows.map((row) => [rssLabel(row.rssBytes), ...['childProcessPerSecond', 'canforkPerSecond', 'registerPerSecond', 'bunPerSecond', 'denoPerSecond']
      .map((key) => perSecond(s(row, key))),
    ratioWithPasses(ratio(stat(row, 'canforkPerSecond'), stat(row, 'bunPerSecond')), row, 'throughputVsBun'),
    times(ratio(stat(row, 'canforkPerSecond'), stat(row, 'denoPerSecond')))]));
  const forkTable = table(
    ['parent RSS', 'VMAs', 'canFork()', 'smaps read + parse', 'maps read', 'smaps ÷ canFork', 'canFork ÷ maps'],
    results.canFork.map((row) => [rssLabel(row.rssBytes), row.addedMappings === undefined ? String(row.vmas) : `${row.vmas} (+${row.addedMappings} mmaps)`,
      ms(s(row, 'canForkMs')), ms(s(row, 'smapsMs')), ms(s(row, 'mapsMs')),
      times(ratio(row.smapsMs, row.canForkMs)), times(ratio(row.canForkMs, row.mapsMs))]));
  const callTable = table(['call', 'canfork', 'C loop', 'canfork ÷ C'],
    results.calls.map((call) => [`\`${call.name}\``, ns(call.stats.ns), ns(call.stats.cNs), times(ratio(call.ns, call.cNs))]));
  const standingLines = standings(results);
  const targetLines = evaluateTargets(results).map((t) => `- **${t.status}**: ${t.target} — ${t.detail}`);
  return [
    machineLine(results), '',
    '### Spawn to exit', '',
    'Spawn of `/bin/true` with every stdio stream ignored, from the call to the exit (`\'exit\'` event, `await exited`,',
    '`await status`, `waitpid`), by resident memory of the parent. Each cell: median (p99, number of spawns):',
    '', spawnTable, '',
    'Ratios of the medians above (below 1× means the left one is faster); against Bun also the same ratio in each',
    'pass of the level, lowest–highest (each pass runs every process once, so their spread is the machine\'s drift):',
    '', ratioTable, '',
    '### The first spawns of a process', '',
    ...warmUpLines(results.warmUp, coldTable, rows),
    '### Where canfork is ahead and where it is behind', '',
    'Against the peers, from the medians of this run only:', '',
    ...(standingLines.length ? standingLines : [`- ${notMeasured}: no peer ran (see the notes)`]), '',
    '### Event loop blocked per spawn', '',
    'The time spent inside the spawn call itself (async spawns): the event loop is blocked for it. glibc\'s',
    '`posix_spawn()` is a vfork too (it returns once the child has exec\'d), so its column is the floor for it:',
    '', callTimeTable, '',
    'The longest event-loop delay seen while spawning (monitorEventLoopDelay at 1 ms, minus that 1 ms, one sample',
    'per round); on a busy machine it includes time the process waited for a core. It is watched in rounds of',
    'its own, apart from the timed spawns above: its 1 ms timer wakes the loop during every spawn. "stall, no',
    'spawns" is the control: the same measure over a stretch as long with no spawn at all:', '', stallTable, '',
    '### Throughput', '',
    '8 spawn-to-exit chains of `/bin/true` in flight at once; completed spawns per second (median round,',
    'slowest–fastest round, number of rounds):', '', throughputTable, '',
    '### Memory per live child', '',
    'Sleeping children alive at once, the growth of the JS heap in use (after full GCs) and',
    'of what lies outside the JS heap (RSS minus the V8 heap\'s resident pages: native allocations, libuv handles,',
    'stream buffers), and of the whole RSS, divided by their number. The part outside the heap is the difference of',
    'two larger figures that both move with garbage collection and malloc, so a figure of a few KiB, or one below',
    'zero, is within its noise:', '', memoryTable(results), '',
    '### `cgroup: true`', '', cgroupLine(results), '',
    '### The CLI\'s scan', '', cliScanLine(results), '',
    '### canFork()', '',
    'Cost of one fork check (the smaps method reads all of `/proc/self/smaps` and finds the largest `ac` VMA):',
    '', forkTable, '',
    '### Call overhead', '', 'Per call:', '', callTable, '',
    '### Targets', '',
    'Reported, never asserted. A goal held against Bun or C is **met** or **missed** at a level only when the pooled',
    'ratio and the ratio of every pass agree, and **undecided** where the passes fall on both sides of the bound:',
    '', ...targetLines, '',
    ...(results.notes.length ? ['Notes:', '', ...results.notes.map((note) => `- ${note}`), ''] : []),
  ].join('\n');
}

module.exports = { rssLabel, evaluateTargets, markdownReport, standings };
