// bench/results/spawn.svg and canfork.svg from a results object.
const { GiB } = require('./memory.cjs');
const { rssLabel } = require('./report.cjs');
const { logChartPanel, svgDocument } = require('./svg.cjs');

const MiB = 1024 ** 2;
const colors = {
  childProcess: '#d62728', canfork: '#1f77b4', register: '#9467bd', canforkSync: '#17becf', posixSpawn: '#2ca02c',
  bun: '#ff7f0e', bunSync: '#ffbb78', deno: '#8c564b', denoSync: '#c49c94', smaps: '#d62728', maps: '#7f7f7f',
};

/** The x position of an RSS level: what was really resident (the 0 GiB level is Node's own few MiB). */
function rssTick(row) {
  const label = row.rssBytes === 0 ? `0 GiB (${Math.round(row.residentBytes / MiB)} MiB)` : rssLabel(row.rssBytes);
  return { value: Math.max(row.residentBytes ?? row.rssBytes, 16 * MiB), label };
}

function footnote(results) {
  const m = results.machine;
  return [
    `canfork bench (${results.mode}), ${results.startedAt} · points: median, whiskers: min–p99`,
    `${m.cpu}, ${m.cores} cores, ${(m.memBytes / GiB).toFixed(1)} GiB, Linux ${m.kernel}, Node ${m.node}`,
  ];
}

function spawnChart(results) {
  const rows = results.spawn;
  const series = (name, key, color, dashed = false) => ({
    name, color, dashed, points: rows.map((row) => ({ x: rssTick(row).value, summary: row.stats[key] ?? null })),
  });
  const latency = logChartPanel({
    left: 0, top: 0, width: 620, height: 500,
    title: 'Spawn of /bin/true, call → exit (log–log)',
    xLabel: 'resident memory of the parent', yLabel: 'call → exit',
    xTicks: rows.map(rssTick),
    series: [
      series('child_process.spawn', 'childProcessMs', colors.childProcess),
      series('canfork spawn', 'canforkMs', colors.canfork),
      series('canfork/register child_process.spawn', 'registerMs', colors.register),
      series('canfork spawnSync', 'canforkSyncMs', colors.canforkSync, true),
      series('Bun.spawn', 'bunMs', colors.bun),
      series('Bun.spawnSync', 'bunSyncMs', colors.bunSync, true),
      series('Deno Command.spawn', 'denoMs', colors.deno),
      series('Deno Command.outputSync', 'denoSyncMs', colors.denoSync, true),
      series('C posix_spawn + waitpid', 'posixSpawnMs', colors.posixSpawn, true),
    ],
  });
  const blocked = logChartPanel({
    left: 620, top: 0, width: 620, height: 500,
    title: 'Event loop blocked per spawn: the spawn call (log–log)',
    xLabel: 'resident memory of the parent', yLabel: 'inside the spawn call',
    xTicks: rows.map(rssTick),
    series: [
      series('child_process.spawn()', 'childProcessCallMs', colors.childProcess),
      series('canfork spawn()', 'canforkCallMs', colors.canfork),
      series('canfork/register child_process.spawn()', 'registerCallMs', colors.register),
      series('Bun.spawn()', 'bunCallMs', colors.bun),
      series('Deno Command.spawn()', 'denoCallMs', colors.deno),
      series('C posix_spawn()', 'posixSpawnBlockedMs', colors.posixSpawn, true),
    ],
  });
  return svgDocument(1240, 532, [latency, blocked], footnote(results));
}

function canForkChart(results) {
  const byRss = results.canFork.filter((row) => row.addedMappings === undefined);
  const byVmas = results.canFork.filter((row) => row.addedMappings !== undefined);
  const checks = (rows, x) => [
    { name: 'canFork()', color: colors.canfork, points: rows.map((row) => ({ x: x(row), summary: row.stats.canForkMs })) },
    { name: 'smaps read + parse', color: colors.smaps, points: rows.map((row) => ({ x: x(row), summary: row.stats.smapsMs })) },
    { name: 'maps read', color: colors.maps, dashed: true, points: rows.map((row) => ({ x: x(row), summary: row.stats.mapsMs })) },
  ];
  const spawnRowFor = (row) => results.spawn.find((s) => s.rssBytes === row.rssBytes) ?? row;
  const left = logChartPanel({
    left: 0, top: 0, width: 560, height: 420,
    title: 'Fork check cost vs resident memory',
    xLabel: 'resident memory', yLabel: 'one check',
    xTicks: byRss.map((row) => rssTick(spawnRowFor(row))),
    series: checks(byRss, (row) => rssTick(spawnRowFor(row)).value),
  });
  const right = logChartPanel({
    left: 560, top: 0, width: 560, height: 420,
    title: 'Fork check cost vs number of VMAs',
    xLabel: 'VMAs in /proc/self/maps (RSS ≈ 0)', yLabel: 'one check',
    xTicks: byVmas.map((row) => ({ value: row.vmas, label: String(row.vmas) })),
    series: checks(byVmas, (row) => row.vmas),
  });
  return svgDocument(1120, 452, [left, right], footnote(results));
}

module.exports = { spawnChart, canForkChart };
