// The CLI's scan cost (issue #12): CPU time per /proc entry of one full `canfork` scan of this machine, the
// way the one-shot CLI and --serve pay it. Prints { perEntryUs: [...], entries } for bench/run.mjs.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { scan } = require('../dist/cli/scan.js');
const { systemSource } = require('../dist/cli/system-source.js');
const rounds = Number(process.argv[2] ?? 20);

const perEntryUs = [];
let entries = 0;
scan(systemSource, { pids: [], all: false, trial: false }); // warm-up: first reads, JIT
for (let round = 0; round < rounds; round++) {
  const before = process.cpuUsage();
  const result = scan(systemSource, { pids: [], all: false, trial: false });
  const used = process.cpuUsage(before);
  entries = result.processes.length + result.skippedKernelThreads;
  perEntryUs.push((used.user + used.system) / entries);
}
process.stdout.write(JSON.stringify({ perEntryUs, entries }));
