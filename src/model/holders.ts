// Who holds the tasks: the processes with the most threads, and the parents with the most unreaped zombies (a
// zombie keeps its pid, in every namespace level, until its parent waits for it or exits). Pure.
import type { CensusProcess, TaskCensus } from '../procfs/census';
import type { TaskHolder, TaskHolders } from './report';

/** How many holders of each kind a report lists (and the Prometheus gauge exports). */
export const HOLDERS_LISTED = 10;

function top(counts: Map<number, number>, comms: Map<number, string>): TaskHolder[] {
  return [...counts]
    .map(([pid, count]) => ({ pid, comm: comms.get(pid) ?? '', count }))
    .sort((a, b) => b.count - a.count || a.pid - b.pid)
    .slice(0, HOLDERS_LISTED);
}

/**
 * The holders among the processes of the census, or of one nested pid namespace (`namespace` at `level`):
 * the namespace whose pids decided, so the parent named is one that fills it.
 */
export function findHolders(census: TaskCensus, scope?: { level: number; namespace: number }): TaskHolders {
  const inScope = (process: CensusProcess): boolean =>
    scope === undefined || (process.namespaces !== null && process.namespaces[scope.level - 1] === scope.namespace);
  const comms = new Map<number, string>();
  const threads = new Map<number, number>();
  const zombieChildren = new Map<number, number>();
  let zombies = 0;
  for (const process of census.processes) {
    comms.set(process.pid, process.comm);
    if (!inScope(process)) continue;
    if (process.state === 'Z') {
      zombies++;
      // A zombie whose parent is outside this /proc's namespace shows PPid 0: it has no parent to name.
      if (process.ppid > 0) zombieChildren.set(process.ppid, (zombieChildren.get(process.ppid) ?? 0) + 1);
    } else if (process.threads > 1) {
      threads.set(process.pid, process.threads);
    }
  }
  return {
    scope: scope === undefined ? 'machine' : `pid:[${scope.namespace}]`,
    threads: top(threads, comms),
    zombieParents: top(zombieChildren, comms),
    zombies,
  };
}
