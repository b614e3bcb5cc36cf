// Rewrites the "## Benchmarks" section of README.md from bench/results/latest.json, so that every speed
// claim in the README comes from the last full run. Touches nothing outside that section; inserts it
// before "## Building from source" the first time.
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownReport } from './lib/report.cjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const readmePath = path.join(root, 'README.md');
const results = JSON.parse(readFileSync(path.join(root, 'bench', 'results', 'latest.json'), 'utf8'));
if (results.mode !== 'full') throw new Error('bench/results/latest.json is not from a full run');

const method = `\`npm run bench\` runs everything below (${results.durationSeconds} s for the last run here; under 5 minutes on
a 2-core machine) and writes \`bench/results/latest.json\`, \`latest.md\`, \`spawn.svg\` and \`canfork.svg\`.
\`npm run bench -- --quick\` stops at 1 GiB, takes 10–40 s, runs in CI and writes gitignored
\`bench/results/quick*.tmp\` files. The harness (\`bench/run.mjs\`) fails only when it breaks, never because
of a number. This section is generated from \`latest.json\` by \`node bench/update-readme.mjs\`.

How it measures:
- Each memory level runs in a fresh Node process (\`bench/worker.mjs\`) that first writes every byte of
  1 GiB Buffers, so the memory is resident (checked against VmRSS); the C floor (\`bench/baseline.c\`,
  compiled by the harness with the system \`cc\` into \`bench/bin/\`) holds the same RSS in its own process.
  A level is skipped, with a note, if the machine has less than that plus 3 GiB available.
- Spawn latency: \`/bin/true\`, from the call to the \`'exit'\` event (Node) or \`waitpid\` (C), one spawn
  after another for about 3 s per method and level after 3 warm-up spawns. The methods take turns in 5
  rounds, and the C floor runs half before and half after the Node process, so a burst of load from
  other users of the machine falls on all of them alike.
- Event-loop stall: \`perf_hooks.monitorEventLoopDelay\` at 1 ms resolution during the async spawns, in 5
  rounds; a round's stall is its longest timer interval minus that 1 ms. On a busy machine it also
  counts time the process simply was not scheduled, so each round is paired with a control of the same
  measure over a stretch with no spawns ("stall, no spawns").
- Fork check cost (tinybench, at least 1 s each): \`canFork()\`; the smaps method, which reads all of
  \`/proc/self/smaps\` and finds the largest \`ac\` VMA as the original canfork script does (the kernel walks
  every page table to fill it in); and the floor, a bare read of \`/proc/self/maps\`. The VMA-count rows add
  one-page \`mmap\`s that alternate \`noreserve\` so neighbours cannot merge; "VMAs" is what maps counted.
- Call overhead: tinybench over batches of calls against a C loop of the same syscalls (\`tryAllocate\` and
  \`mmap().unmap()\` both come down to one mmap+munmap of 1 GiB).
- Each figure is the median, with min–max in brackets; \`latest.json\` keeps n under \`stats\`.

![Spawn latency of /bin/true vs parent RSS, log–log](bench/results/spawn.svg)

![Cost of canFork(), the smaps method and a maps read, vs RSS and vs VMA count](bench/results/canfork.svg)
`;

const section = `## Benchmarks\n\n${method}\n${markdownReport(results)}\n`;
const readme = readFileSync(readmePath, 'utf8');
const start = readme.indexOf('\n## Benchmarks\n');
const next = readme.indexOf('\n## Building from source\n');
if (next < 0) throw new Error('README.md has no "## Building from source" heading');
const updated = start >= 0 && start < next
  ? `${readme.slice(0, start + 1)}${section}${readme.slice(next + 1)}`
  : `${readme.slice(0, next + 1)}${section}\n${readme.slice(next + 1)}`;
writeFileSync(readmePath, updated);
process.stderr.write(`README.md: "## Benchmarks" ${start >= 0 ? 'updated' : 'inserted'} from the run of ${results.startedAt}\n`);
