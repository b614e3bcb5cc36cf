// Rewrites the "## Benchmarks" section of README.md from bench/results/latest.json (and where a spawn's time goes
// from bench/results/spawn-sched.json, when bench/spawn-sched.mjs has written one), so that every speed claim in
// the README comes from the last runs. Touches nothing outside that section; inserts it before "## Building from
// source" the first time.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownReport } from './lib/report.cjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const readmePath = path.join(root, 'README.md');
const results = JSON.parse(readFileSync(path.join(root, 'bench', 'results', 'latest.json'), 'utf8'));
if (results.mode !== 'full') throw new Error('bench/results/latest.json is not from a full run');
// What the run shared the machine with, in the runner's words ($CANFORK_BENCH_CONDITIONS when it ran), as given.
const conditions = results.conditions ? `\nConditions of the last run: ${results.conditions}\n` : '';

const peers = Object.entries(results.peers ?? {}).filter(([, peer]) => peer).map(([name, peer]) => `${name === 'bun' ? 'Bun' : 'Deno'} ${peer.version}`);
const warmUpText = results.warmUp
  ? `${results.warmUp.spawns} spawns or ${results.warmUp.ms / 1000} s, whichever ends first; the first ${results.warmUp.coldSpawns} are the cold figures`
  : '3 spawns';
const method = `\`npm run bench\` runs everything below (${results.durationSeconds} s for the last run here, on a 2-core machine) and
writes \`bench/results/latest.json\`, \`latest.md\`, \`spawn.svg\` and \`canfork.svg\`. \`npm run bench -- --quick\` stops at
1 GiB, skips the peers (\`--peers\` adds them), runs in CI and writes gitignored \`bench/results/quick*.tmp\` files. The
harness (\`bench/run.mjs\`) fails only when it breaks, never because of a number. This section is generated from
\`latest.json\` by \`node bench/update-readme.mjs\`.

The peers${peers.length ? ` (${peers.join(', ')} in the last run)` : ''} come from the npm registry: on first use the harness
runs \`npm install --prefix ~/.cache/canfork/bench-peers @oven/bun-linux-x64@1.4.5 deno@2.9.6\` (\`$XDG_CACHE_HOME\` is
honoured; \`$CANFORK_BENCH_BUN\` / \`$CANFORK_BENCH_DENO\` name other binaries; \`CANFORK_BENCH_PEERS=0\` skips them). They
are not dependencies of this package and \`npm ci\` never fetches them. Each runs \`bench/peer.mjs\` with its own spawn:
\`Bun.spawn\` (\`await proc.exited\`) and \`Bun.spawnSync\`; \`new Deno.Command(...).spawn()\` (\`await child.status\`) and
\`.outputSync()\`.

How it measures:
- Each memory level runs in fresh processes: the Node worker (\`bench/worker.mjs\`), a second Node worker with
  \`canfork/register\` loaded (it changes child_process for its whole process), Bun, Deno, and the C floor
  (\`bench/baseline.c\`, compiled by the harness with the system \`cc\` into \`bench/bin/\`). Each first writes every
  byte of the level's memory, so it is resident (checked against VmRSS). A level is skipped, with a note, if the
  machine has less than that plus 3 GiB available.
- A level runs in ${results.passes ?? 1} passes. Each pass runs every process once with its share of the budget, and each pass starts
  one process later, so no runtime always goes first or last and drift of the machine over the minutes a level takes
  reaches them all. The figures pool the samples of all passes; the ratios against Bun and C are also given pass by
  pass, and a goal counts as met or missed at a level only when all passes agree.
- Spawn latency: \`/bin/true\` with every stdio stream ignored, from the call to the exit, one spawn after another for
  about 3 s per method and level (split over the passes), the methods of one process taking turns in 2 rounds per pass.
  Before its timed rounds each method of each process is warmed up, so that a JIT-compiled spawner is timed as a
  long-lived process runs it: ${warmUpText}.
  Nothing else runs on the loop meanwhile, as in the peers' loops; the event-loop stall is watched in rounds of its
  own (its histogram's 1 ms timer would wake the loop during the timed spawns; the peers have none). The Node
  workers await \`once(child, 'exit')\`.
- Event loop blocked per spawn: the time inside the async spawn call (everything a spawn does on the loop's thread
  before returning), against the time glibc's \`posix_spawn()\` blocks its C caller.
- Throughput: 8 chains of spawn-to-exit in flight for 2 s per method (6 rounds of 0.33 s, 2 per pass), completed spawns
  per second.
- Memory per live child: 200 sleeping children alive at once per spawner and stdio setting, each in a fresh
  \`node --expose-gc\` process; the growth of the JS heap in use after full GCs and of RSS outside the V8 heap.
- \`cgroup: true\`: canfork spawn with and without it, taking turns, when spawn() has that option (it creates cgroups, so
  it runs under \`flock /tmp/canfork-host.lock\`).
- Fork check cost (tinybench, at least 1 s each): \`canFork()\`; the smaps method, which reads all of
  \`/proc/self/smaps\` and finds the largest \`ac\` VMA as the original canfork script does (the kernel walks
  every page table to fill it in); and the floor, a bare read of \`/proc/self/maps\`. The VMA-count rows add
  one-page \`mmap\`s that alternate \`noreserve\` so neighbours cannot merge; "VMAs" is what maps counted.
  Where its time goes: \`node bench/canfork-reads.mjs\` times each file one answer reads, opened each time
  (\`readFileSync\`) and through the descriptor \`canFork()\` keeps, the poll that stands in for mountinfo's read,
  and the answer itself.
- Call overhead: tinybench over batches of calls against a C loop of the same syscalls (\`tryAllocate\` and
  \`mmap().unmap()\` both come down to one mmap+munmap of 1 GiB).
- Where the time of a spawn goes: \`node bench/spawn-profile.mjs\` gives the CPU time of each step of one canfork spawn
  and the bytes each leaves on the JS heap for the garbage collector (child_process's beside them);
  \`node bench/spawn-sched.mjs\` gives, from \`perf sched\` (it needs perf and root), how long the parent and the
  child each run per spawn, for canfork's spawn (awaited by events.once, and by an 'exit' listener), register, the
  addon alone without ChildProcess and Bun: before the clone, until exec releases the parent, after that, and the
  rest of the exec with the program.
  \`node bench/spawn-cpu.mjs\` reads, with no tracer attached, how long the spawning thread runs per spawn (on a CPU
  and waiting for one) and the whole process's user and system time (getrusage), whose excess over the thread is
  what the process's other threads add, for the same loops.
- Before and after a change: \`node bench/spawn-ab.mjs <other checkout>\` loads that checkout's build beside this one
  and alternates their spawns (and their canFork() calls) in one process, so that the machine's drift (larger, here,
  than a change of a few µs) reaches both alike.
- Each figure is the median with the p99 (nearest rank) and the sample count; \`latest.json\` keeps min and max too.
  The plots are log–log: points are medians, whiskers run from the minimum to the p99.
${conditions}
![Spawn of /bin/true and the event-loop block per spawn vs parent RSS, against Bun, Deno and C, log–log](bench/results/spawn.svg)

![Cost of canFork(), the smaps method and a maps read, vs RSS and vs VMA count](bench/results/canfork.svg)
`;

// bench/spawn-sched.mjs's last result, when there is one: where the time of a spawn goes, per side.
const schedPath = path.join(root, 'bench', 'results', 'spawn-sched.json');
const sched = existsSync(schedPath) ? JSON.parse(readFileSync(schedPath, 'utf8')) : null;

/** "100 % of the spawns of every loop", or "99 % (canfork spawn), 100 % (Bun.spawn) of the spawns". */
function sameCpuShares(shares) {
  if (shares.every(([share]) => share === shares[0][0])) return `${shares[0][0]} % of the spawns of every loop`;
  return `${shares.map(([share, label]) => `${share} % (${label})`).join(', ')} of the spawns`;
}

function schedSection({ loops, source, measuredAt, machine, spawnsPerPass, passes, warmUpSpawns }) {
  const columns = [['canfork', 'canfork spawn'], ['canforkListener', "canfork spawn, 'exit' listener"], ['register', 'register child_process.spawn'],
    ['addonAlone', 'addon alone'], ['bun', 'Bun.spawn']]
    .filter(([name]) => loops[name]);
  const parts = [
    ['parent, exit → clone', 'parent, from the exit to the next clone'],
    ['child, clone → exec', 'child, from the clone until its exec releases the parent'],
    ['parent, after exec', 'parent, after exec until it sleeps'],
    ['serial', '**the three above, summed per spawn**'],
    ['child, exec → exit', 'child, the rest of the exec and the program (/bin/true)'],
  ];
  const cell = (figure) => (figure ? `${figure.median} (${figure.p25}–${figure.p75}, n ${figure.n})` : '–');
  const serial = (name) => loops[name]?.runUs.serial?.median;
  const lines = [
    '### Where the time of a spawn goes',
    '',
    `From \`node bench/spawn-sched.mjs\` (\`perf sched\`), commit ${source?.commit ?? 'unknown'}, ${measuredAt.slice(0, 16).replace('T', ' ')} UTC, ` +
      `Linux ${machine.kernel}, ${passes} passes of ${spawnsPerPass} spawns per loop` +
      (warmUpSpawns ? `, each after ${warmUpSpawns} spawns perf did not record (the JIT settling)` : '') + ': how long the spawning thread and the child each ' +
      'ran on a CPU per spawn of `/bin/true`, in µs, median (p25–p75, n). The child ran on the parent\'s CPU in ' +
      `${sameCpuShares(columns.map(([name, label]) => [Math.round(loops[name].childOnParentCpu * 100), label]))}; in those ` +
      'spawns these parts follow one another and each is in the spawn-to-exit time (in the others the child, once it ' +
      'has released the parent, may run beside it).',
    '',
    `| per spawn | ${columns.map(([, label]) => label).join(' | ')} |`,
    `|---|${columns.map(() => '---').join('|')}|`,
    ...parts.map(([key, label]) => `| ${label} | ${columns.map(([name]) => cell(loops[name].runUs[key])).join(' | ')} |`),
  ];
  if (serial('canfork') !== undefined && serial('addonAlone') !== undefined) {
    const layer = serial('canfork') - serial('addonAlone');
    lines.push('', `The addon alone (its spawn and exit watch, no ChildProcess) adds ${serial('addonAlone')} µs per spawn to the program's own run` +
      (serial('bun') !== undefined ? `, Bun.spawn ${serial('bun')} µs` : '') + `; canfork's spawn adds ${serial('canfork')} µs. The difference of the ` +
      `medians, ${layer} µs, is Node's ChildProcess and canfork's JavaScript around the addon (the options, the stdio ` +
      "setup and the events of the ChildProcess that `canfork/register` must hand out as child_process's own object) and " +
      "the loop's `once(child, 'exit')`" + (serial('canforkListener') !== undefined
      ? `; awaited through an 'exit' listener instead of events.once, canfork's spawn adds ${serial('canforkListener')} µs.`
      : '.'));
  }
  return `${lines.join('\n')}\n\n`;
}

const section = `## Benchmarks\n\n${method}\n${markdownReport(results)}\n${sched ? schedSection(sched) : ''}`;
const readme = readFileSync(readmePath, 'utf8');
const start = readme.indexOf('\n## Benchmarks\n');
const next = readme.indexOf('\n## Building from source\n');
if (next < 0) throw new Error('README.md has no "## Building from source" heading');
const updated = start >= 0 && start < next
  ? `${readme.slice(0, start + 1)}${section}${readme.slice(next + 1)}`
  : `${readme.slice(0, next + 1)}${section}\n${readme.slice(next + 1)}`;
writeFileSync(readmePath, updated);
process.stderr.write(`README.md: "## Benchmarks" ${start >= 0 ? 'updated' : 'inserted'} from the run of ${results.startedAt}\n`);
