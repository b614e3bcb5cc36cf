// The cost of cgroup: true per spawn, for the benchmark and docs/supervision.md: spawn to 'exit' and
// spawnSync of /bin/true, alternating plain and cgroup: true runs so that machine noise hits both alike,
// medians and p90 with sample counts. Creates and removes cgroups: root, under the host lock:
//   npm run build:ts && flock /tmp/canfork-host.lock node test/supervise/cgroup-cost.cjs [samples] [v1]
'use strict';
const { once } = require('node:events');
const fs = require('node:fs');
const { setTimeout: sleep } = require('node:timers/promises');
const canfork = require('../../dist/index.js');
const supervise = require('../../dist/supervise/index.js');

const samples = Number(process.argv[2] ?? 400);
if (process.argv[3] === 'v1') supervise.setCgroupV2Support(false);

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return `median ${at(0.5).toFixed(3)} ms, p90 ${at(0.9).toFixed(3)} ms (n=${values.length})`;
}

const elapsedMs = (start) => Number(process.hrtime.bigint() - start) / 1e6;

(async () => {
  const times = { spawn: [], spawnCgroup: [], sync: [], syncCgroup: [] };
  // CPU time of this process (user + system) per mode: less sensitive to a busy machine than wall time.
  const cpu = { spawn: 0, spawnCgroup: 0, sync: 0, syncCgroup: 0 };
  const cpuNow = () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  };
  for (let i = 0; i < samples; i++) {
    for (const cgroup of [false, true]) {
      let start = process.hrtime.bigint();
      let cpuStart = cpuNow();
      const child = canfork.spawn('true', [], { stdio: 'ignore', cgroup });
      await once(child, 'exit');
      times[cgroup ? 'spawnCgroup' : 'spawn'].push(elapsedMs(start));
      cpu[cgroup ? 'spawnCgroup' : 'spawn'] += cpuNow() - cpuStart;
      start = process.hrtime.bigint();
      cpuStart = cpuNow();
      canfork.spawnSync('true', [], { stdio: 'ignore', cgroup });
      times[cgroup ? 'syncCgroup' : 'sync'].push(elapsedMs(start));
      cpu[cgroup ? 'syncCgroup' : 'sync'] += cpuNow() - cpuStart;
    }
  }
  // The async cgroups are removed after 'exit'; wait for the last before reporting leftovers.
  const deadline = Date.now() + 5000;
  while (supervise.liveCgroupCount() > 0 && Date.now() < deadline) await sleep(10);
  console.log(`hierarchy: ${process.argv[3] === 'v1' ? 'v1' : 'v2 where available'}; load ${fs.readFileSync('/proc/loadavg', 'utf8').trim()}`);
  console.log(`spawn → exit, plain:         ${stats(times.spawn)}`);
  console.log(`spawn → exit, cgroup: true:  ${stats(times.spawnCgroup)} (removal after exit not included)`);
  console.log(`spawnSync, plain:            ${stats(times.sync)}`);
  console.log(`spawnSync, cgroup: true:     ${stats(times.syncCgroup)} (create, clone into, kill check, rmdir)`);
  for (const [mode, total] of Object.entries(cpu)) console.log(`CPU per call, ${mode}: ${(total / samples).toFixed(3)} ms`);
  console.log(`cgroups left: ${supervise.liveCgroupCount()}`);
})();
