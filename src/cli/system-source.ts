// The real ForkSource: canFork() and the /proc readers of src/procfs, nothing re-implemented here.
import { existsSync, readFileSync } from 'node:fs';
import { canForkWithSnapshot, namespaceChainOf, readMachineSnapshot, snapshotSummary } from '../snapshot';
import { readTaskCensus } from '../procfs/census';
import { readPublicProcessFile } from '../procfs/process-file';
import { listPids } from '../procfs/processes';
import { parseStatus } from '../procfs/status';
import type { ForkSource } from './scan';

/**
 * One status text per pid for a scan: the census's, or read now for a process that started after it. The scan
 * describes each process (to leave kernel threads out) and judges it from that same text, so each status file
 * is read once per scan.
 */
function statusTextOf(texts: Map<number, string>, pid: number): { text: string; path: string } {
  const text = texts.get(pid);
  if (text !== undefined) return { text, path: `/proc/${pid}/status` };
  const file = readPublicProcessFile(pid, 'status');
  texts.set(pid, file.text);
  return file;
}

export const systemSource: ForkSource = {
  snapshotMachine() {
    const machine = readMachineSnapshot();
    const texts = new Map<number, string>();
    // Every process once, for the zombie parents the summary names (and which every row's task counts reuse).
    machine.census = readTaskCensus(new Map(), namespaceChainOf, texts);
    return {
      summary: snapshotSummary(machine),
      canFork: (pid, { trial, exact }) => canForkWithSnapshot(machine, { pid, trial, exact }, texts.get(pid)),
      describe(pid) {
        try {
          const file = statusTextOf(texts, pid);
          const status = parseStatus(file.text, file.path);
          return { comm: status.name, userSpace: status.totalVmBytes !== null };
        } catch {
          return null; // exited since, or unreadable: the row still shows the pid
        }
      },
    };
  },
  listPids,
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
