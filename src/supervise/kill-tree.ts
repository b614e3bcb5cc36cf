// killTree(): a process and every descendant, for trees canfork did not start. Without a cgroup there is no
// race-free way to name a tree: a process may fork between the walk and the signal, or leave the tree by
// double-forking (it is then reparented to a subreaper or init and no longer a descendant). We narrow the
// races (re-walk, start-time check before each signal) and document what remains.
import { constants } from 'node:os';
import { systemError } from '../errors';
import { validatePid } from '../validate';
import { signalNumber } from '../signals';
import { continueAfter, sendSignal, SIGCONT } from './signals';
import { isLive, readChildren, readStat, type ProcessStat } from './proc';

export interface KillTreeResult {
  /** Pids that were sent the signal, in the order sent: deepest first, the root last. */
  signalled: number[];
  /** Descendants this process may not signal (EPERM), left alone. */
  denied: number[];
}

// Rounds of re-walking from the processes that survived the signal: a parent that respawns a child when it
// sees one die (deepest first makes that visible) gets its new child signalled too, a few times over.
const MAX_ROUNDS = 4;

/** The live descendants of `roots` not in `known`, each with its depth, found breadth first. */
function walk(roots: ProcessStat[], known: Map<number, ProcessStat>): Array<{ stat: ProcessStat; depth: number }> {
  const found: Array<{ stat: ProcessStat; depth: number }> = [];
  let level = roots;
  for (let depth = 1; level.length > 0; depth++) {
    const next: ProcessStat[] = [];
    for (const parent of level) {
      for (const pid of readChildren(parent.pid)) {
        if (known.has(pid)) continue;
        const stat = readStat(pid);
        // The parent check drops a pid that was reused between reading the children file and the stat.
        if (!isLive(stat) || stat.ppid !== parent.pid) continue;
        known.set(pid, stat);
        found.push({ stat, depth });
        next.push(stat);
      }
    }
    level = next;
  }
  return found;
}

/** Signals one process if it is still the one the walk saw (same pid and start time). */
function signalIfSame(stat: ProcessStat, signal: number): 'ok' | 'gone' | string {
  const now = readStat(stat.pid);
  if (!isLive(now) || now.startTime !== stat.startTime) return 'gone';
  const outcome = sendSignal(stat.pid, signal);
  if (outcome === 'ok' && now.state === 'T' && continueAfter(signal)) sendSignal(stat.pid, SIGCONT);
  return outcome;
}

/**
 * Sends `signal` (default SIGTERM) to `pid` and every descendant, found through
 * /proc/PID/task/TID/children, deepest first and the root last. Stopped processes get SIGCONT after a
 * terminating signal so that they act on it; nothing is frozen. Racy without a cgroup (see
 * docs/supervision.md): a process that double-forks before the walk is no longer a descendant.
 * @throws TypeError ERR_UNKNOWN_SIGNAL, RangeError ERR_OUT_OF_RANGE; system error ESRCH when `pid` is not
 *   a live process, EPERM when it may not be signalled.
 */
export function killTree(pid: number, signal: NodeJS.Signals | number = 'SIGTERM'): KillTreeResult {
  validatePid(pid);
  const number = signalNumber(signal);
  const root = readStat(pid);
  if (!isLive(root)) throw systemError(constants.errno.ESRCH, 'kill');
  const known = new Map<number, ProcessStat>([[pid, root]]);
  const result: KillTreeResult = { signalled: [], denied: [] };
  let roots = [root];
  for (let round = 0; round < MAX_ROUNDS && roots.length > 0; round++) {
    const descendants = walk(roots, known).sort((a, b) => b.depth - a.depth);
    const order: ProcessStat[] = round === 0 ? [...descendants.map((entry) => entry.stat), root] : descendants.map((entry) => entry.stat);
    for (const stat of order) {
      const outcome = signalIfSame(stat, number);
      if (outcome === 'ok') result.signalled.push(stat.pid);
      else if (stat === root && outcome !== 'gone') throw systemError(constants.errno[outcome as 'EPERM'] ?? constants.errno.EPERM, 'kill');
      else if (outcome !== 'gone') result.denied.push(stat.pid);
    }
    // Whoever is still alive may have made new children meanwhile.
    roots = order
      .map((stat) => readStat(stat.pid))
      .filter((stat): stat is ProcessStat => isLive(stat) && known.get(stat.pid)?.startTime === stat.startTime);
  }
  return result;
}
