// The real ForkSource: canFork() and the /proc readers of src/procfs, nothing re-implemented here.
import { existsSync, readFileSync } from 'node:fs';
import { canForkWithSnapshot, namespaceChainOf, readMachineSnapshot, snapshotSummary } from '../snapshot';
import { readTaskCensus } from '../procfs/census';
import { readPublicProcessFile } from '../procfs/process-file';
import { listPids } from '../procfs/processes';
import { parseStatus } from '../procfs/status';
import type { ForkSource } from './scan';

// The snapshot's census reads every /proc/PID/status once; the scan then describes each process (to leave
// kernel threads out) and judges it from that same text, so each status file is read once per scan.
let statusTexts = new Map<number, string>();

function statusText(pid: number): { text: string; path: string } {
  const text = statusTexts.get(pid);
  if (text !== undefined) return { text, path: `/proc/${pid}/status` };
  const file = readPublicProcessFile(pid, 'status'); // a process that started after the census
  statusTexts.set(pid, file.text);
  return file;
}

export const systemSource: ForkSource = {
  snapshotMachine() {
    const machine = readMachineSnapshot();
    const texts = new Map<number, string>();
    statusTexts = texts;
    // Every process once, for the zombie parents the summary names (and which every row's task counts reuse).
    machine.census = readTaskCensus(new Map(), namespaceChainOf, texts);
    return {
      summary: snapshotSummary(machine),
      canFork: (pid, { trial, exact }) => canForkWithSnapshot(machine, { pid, trial, exact }, texts.get(pid)),
    };
  },
  listPids,
  describe(pid) {
    try {
      const file = statusText(pid);
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
