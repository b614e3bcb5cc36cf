// One timed loop of spawns for bench/spawn-cpu.mjs, in Node and in Bun alike: the spawning thread's counters
// (/proc/thread-self/schedstat, in ns) and the whole process's CPU time (process.cpuUsage: getrusage, in µs), read
// around `spawns` spawns after `warmUp` untimed ones. Not the user and system ticks of /proc/.../stat: at 100 ticks
// a second over 2000 spawns a tick is 5 µs per spawn, coarser than the differences measured here.
const { readFileSync } = require('node:fs');
const { performance } = require('node:perf_hooks');

function reading() {
  const [onCpuNs, waitNs] = readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ').map(Number);
  return { onCpuNs, waitNs, process: process.cpuUsage(), wallMs: performance.now() };
}

/** µs per spawn: the thread on a CPU and waiting for one; the whole process's user and system time; the wall time. */
async function timeSpawnLoop(spawnToExit, { warmUp, spawns }) {
  for (let i = 0; i < warmUp; i++) await spawnToExit();
  const before = reading();
  for (let i = 0; i < spawns; i++) await spawnToExit();
  const after = reading();
  const perSpawn = (value) => Number((value / spawns).toFixed(1));
  const processUser = after.process.user - before.process.user;
  const processSystem = after.process.system - before.process.system;
  const onCpu = (after.onCpuNs - before.onCpuNs) / 1000;
  return {
    onCpu: perSpawn(onCpu),
    runQueueWait: perSpawn((after.waitNs - before.waitNs) / 1000),
    processUser: perSpawn(processUser),
    processSystem: perSpawn(processSystem),
    otherThreads: perSpawn(processUser + processSystem - onCpu),
    wall: perSpawn((after.wallMs - before.wallMs) * 1000),
  };
}

module.exports = { timeSpawnLoop };
