// The real ForkSource: canFork() and the /proc readers of src/procfs, nothing re-implemented here.
import { existsSync, readFileSync } from 'node:fs';
import { canForkWithSnapshot, readMachineSnapshot, snapshotSummary } from '../can-fork';
import { readPublicProcessFile } from '../procfs/process-file';
import { listPids } from '../procfs/processes';
import { parseStatus } from '../procfs/status';
import type { ForkSource } from './scan';

// The scan describes a process (to leave kernel threads out), then judges it: the status text read for the
// first is handed to the second, so that each /proc file is read once per process.
let described: { pid: number; text: string } | null = null;

export const systemSource: ForkSource = {
  snapshotMachine() {
    const machine = readMachineSnapshot();
    return {
      summary: snapshotSummary(machine),
      canFork: (pid, { trial, exact }) => {
        const statusText = described?.pid === pid ? described.text : undefined;
        described = null;
        return canForkWithSnapshot(machine, { pid, trial, exact }, statusText);
      },
    };
  },
  listPids,
  describe(pid) {
    described = null;
    try {
      const file = readPublicProcessFile(pid, 'status');
      described = { pid, text: file.text };
      const status = parseStatus(file.text, file.path);
      return { comm: status.name, userSpace: status.totalVmBytes !== null };
    } catch {
      return null; // exited since, or unreadable: the row still shows the pid
    }
  },
  procHidepid() {
    // fs/proc/root.c: hidepid=1/noaccess and 2/invisible keep other users' /proc/PID from us (ptrace rules);
    // root, with CAP_SYS_PTRACE, still sees them all.
    if (process.geteuid?.() === 0) return null;
    const mount = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
      .filter((line) => / \/proc \S+.* - proc /.test(line)).at(-1); // the last mount on /proc is the one seen
    const option = mount === undefined ? undefined : /(?:^|,)hidepid=([^,\s]+)/.exec(mount.split(' - ')[1] ?? '')?.[1];
    return option === undefined || option === '0' || option === 'off' ? null : `hidepid=${option}`;
  },
  presence(pid) {
    try {
      process.kill(pid, 0); // no signal sent: only whether the pid exists (EPERM: it does, it is not ours)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return 'gone';
    }
    // It exists; hidepid=1/2 (or a /proc of another pid namespace) leaves no /proc/PID for us to read.
    return existsSync(`/proc/${pid}`) ? 'present' : 'hidden';
  },
};
