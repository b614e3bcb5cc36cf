// The real ForkSource: canFork() and the /proc readers of src/procfs, nothing re-implemented here.
import { canForkWithSnapshot, namespaceChainOf, readMachineSnapshot, snapshotSummary } from '../can-fork';
import { readTaskCensus } from '../procfs/census';
import { readPublicProcessFile } from '../procfs/process-file';
import { listPids } from '../procfs/processes';
import { parseStatus } from '../procfs/status';
import type { ForkSource } from './scan';

export const systemSource: ForkSource = {
  snapshotMachine() {
    const machine = readMachineSnapshot();
    // Every process once, for the zombie parents the summary names (and which every row's task counts reuse).
    machine.census = readTaskCensus(new Map(), namespaceChainOf);
    return {
      summary: snapshotSummary(machine),
      canFork: (pid, { trial, exact }) => canForkWithSnapshot(machine, { pid, trial, exact }),
    };
  },
  listPids,
  describe(pid) {
    try {
      const file = readPublicProcessFile(pid, 'status');
      const status = parseStatus(file.text, file.path);
      return { comm: status.name, userSpace: status.totalVmBytes !== null };
    } catch {
      return null; // exited since, or unreadable: the row still shows the pid
    }
  },
  exists(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code !== 'ESRCH'; // EPERM: it exists, it is not ours
    }
  },
};
