// What the benchmark ran on, and how busy the shared machine was meanwhile.
const { readFileSync } = require('node:fs');
const os = require('node:os');

function describeMachine() {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memBytes: os.totalmem(),
    kernel: os.release(),
    node: process.version,
  };
}

/** Busy and total CPU ticks of the whole machine (/proc/stat line `cpu`). */
function machineTicks() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
  return { busy: user + nice + system + irq + softirq + steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

/** The numbers of a /proc/…/stat file after the command name: [0] is the state, [11] utime, [12] stime. */
function statFields(file) {
  const stat = readFileSync(file, 'latin1');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
}

/** CPU ticks of this process and of its reaped children (utime, stime, cutime, cstime of /proc/self/stat). */
function ownTicks() {
  return statFields('/proc/self/stat').slice(11, 15).reduce((a, b) => a + b, 0);
}

/**
 * Starts watching the machine's CPU. `stop()` returns the load averages at both ends and how many of
 * the cores processes other than the benchmark kept busy, on average.
 */
function watchMachineLoad() {
  const startLoad = os.loadavg()[0];
  const startMachine = machineTicks();
  const startOwn = ownTicks();
  return {
    stop() {
      const machine = machineTicks();
      const busy = machine.busy - startMachine.busy;
      const total = machine.total - startMachine.total;
      const others = Math.max(0, busy - (ownTicks() - startOwn));
      const cores = os.availableParallelism();
      return {
        loadAverage1mStart: Number(startLoad.toFixed(2)),
        loadAverage1mEnd: Number(os.loadavg()[0].toFixed(2)),
        busyCores: total > 0 ? Number(((busy / total) * cores).toFixed(2)) : null,
        otherProcessesBusyCores: total > 0 ? Number(((others / total) * cores).toFixed(2)) : null,
      };
    },
  };
}

module.exports = { describeMachine, watchMachineLoad };
