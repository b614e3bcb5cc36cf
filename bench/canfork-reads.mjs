// What canFork()'s file reads cost, opened each time against kept open: `node bench/canfork-reads.mjs [rounds]`.
// For each file one canFork() of this process reads, wall time per read through readFileSync (open, read until
// end, close) and through the kept descriptor canFork() uses (src/procfs/kept-file.ts: read from offset 0 until
// end; a sysctl in one read of 256 bytes, and one of them also in one read of 16 KiB), in batches that take turns;
// the poll that stands in for mountinfo's read; all ten files each way, and as canFork() takes them (mountinfo
// polled); then canFork() itself. Median, p99 and count of the batch means, in µs.
// Runs on dist/ (npm run build:ts first). Prints one JSON object.
import { Buffer } from 'node:buffer';
import { readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const canfork = require('../dist/index.js');
const { keptDescriptorOf, readKeptFile, readKeptSysctl } = require('../dist/procfs/kept-file.js');
const { native } = require('../dist/binding.js');
const { roundSummary, summarize } = require('./lib/stats.cjs');

const rounds = Number(process.argv[2] ?? 31);
const batch = 200;
const self = `/proc/${process.pid}`;
const files = [
  '/proc/meminfo', '/proc/sys/vm/overcommit_memory', '/proc/sys/kernel/threads-max', '/proc/sys/kernel/pid_max',
  '/proc/loadavg', '/proc/self/mountinfo', `${self}/status`, `${self}/maps`, `${self}/cgroup`, `${self}/oom_score`,
];

const keptReader = (path) => (path.startsWith('/proc/sys/') ? readKeptSysctl : readKeptFile);
const timings = {};
for (const path of files) {
  const readKept = keptReader(path);
  timings[`${path} readFileSync`] = () => readFileSync(path, 'utf8');
  timings[`${path} kept`] = () => readKept(path);
}
// What canFork() does for mountinfo while the mount table stands (src/snapshot.ts): one poll of the kept descriptor.
canfork.canFork();
// A sysctl's one read at the size readKeptFile asks for: what the small read of readKeptSysctl saves by its size alone.
const sysctlFd = keptDescriptorOf('/proc/sys/vm/overcommit_memory');
const largeRead = Buffer.allocUnsafe(16 * 1024);
timings['/proc/sys/vm/overcommit_memory kept, one read of 16 KiB'] = () => largeRead.toString('utf8', 0, readSync(sysctlFd, largeRead, 0, largeRead.length, 0));
const mountinfoFd = keptDescriptorOf('/proc/self/mountinfo');
timings['/proc/self/mountinfo poll'] = () => native.mountsChanged(mountinfoFd);
timings['all files readFileSync'] = () => files.forEach((path) => readFileSync(path, 'utf8'));
// Each file with its reader, chosen once, outside the timed calls.
const keptReads = files.map((path) => [path, keptReader(path)]);
const polledReads = keptReads.filter(([path]) => path !== '/proc/self/mountinfo');
timings['all files kept'] = () => keptReads.forEach(([path, read]) => read(path));
timings['all files as canFork() takes them'] = () => {
  native.mountsChanged(mountinfoFd);
  polledReads.forEach(([path, read]) => read(path));
};
timings['canFork()'] = () => canfork.canFork();

function meanMicroseconds(run) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < batch; i++) run();
  return Number(process.hrtime.bigint() - start) / 1000 / batch;
}

for (const run of Object.values(timings)) for (let i = 0; i < 3; i++) meanMicroseconds(run); // warm-up, JIT
const samples = Object.fromEntries(Object.keys(timings).map((name) => [name, []]));
for (let round = 0; round < rounds; round++) {
  for (const [name, run] of Object.entries(timings)) samples[name].push(meanMicroseconds(run));
}
process.stdout.write(`${JSON.stringify({
  batch,
  microseconds: Object.fromEntries(Object.entries(samples).map(([name, list]) => [name, roundSummary(summarize(list))])),
}, null, 2)}\n`);
