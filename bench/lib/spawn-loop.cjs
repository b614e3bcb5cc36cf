// One timed loop of spawns for bench/spawn-cpu.mjs, in Node and in Bun alike: the spawning thread's counters
// (/proc/thread-self) and the whole process's, read around `spawns` spawns after `warmUp` untimed ones.
const { readFileSync } = require('node:fs');
const { performance } = require('node:perf_hooks');
const { statFields } = require('./machine.cjs');

function reading() {
  const [onCpuNs, waitNs] = readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ').map(Number);
  const thread = statFields('/proc/thread-self/stat');
  const whole = statFields('/proc/self/stat');
  return { onCpuNs, waitNs, userTicks: thread[11], systemTicks: thread[12], processTicks: whole[11] + whole[12], wallMs: performance.now() };
}

/** µs per spawn: on a CPU, waiting for one, user, system (the thread); the whole process's CPU; the wall time. */
async function timeSpawnLoop(spawnToExit, { warmUp, spawns, ticksPerSecond }) {
  for (let i = 0; i < warmUp; i++) await spawnToExit();
  const before = reading();
  for (let i = 0; i < spawns; i++) await spawnToExit();
  const after = reading();
  const tickUs = 1e6 / ticksPerSecond;
  const perSpawn = (value) => Number((value / spawns).toFixed(1));
  return {
    onCpu: perSpawn((after.onCpuNs - before.onCpuNs) / 1000),
    runQueueWait: perSpawn((after.waitNs - before.waitNs) / 1000),
    user: perSpawn((after.userTicks - before.userTicks) * tickUs),
    system: perSpawn((after.systemTicks - before.systemTicks) * tickUs),
    wholeProcess: perSpawn((after.processTicks - before.processTicks) * tickUs),
    wall: perSpawn((after.wallMs - before.wallMs) * 1000),
  };
}

module.exports = { timeSpawnLoop };
