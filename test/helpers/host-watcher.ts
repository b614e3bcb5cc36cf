// Watches host-wide state a test run must not touch unasked: sysctl files (any write, any change of
// value) and a cgroup tree (any directory created or removed). inotify sees every write and mkdir/rmdir
// as it happens, however briefly a value was changed; a poll and a final comparison back it up.
import { existsSync, type FSWatcher, readdirSync, readFileSync, watch } from 'node:fs';
import * as path from 'node:path';

export const HOST_SYSCTLS = ['/proc/sys/kernel/pid_max', '/proc/sys/kernel/threads-max', '/proc/sys/vm/overcommit_memory'];
export const HOST_CGROUP_ROOT = '/sys/fs/cgroup';

export interface HostWatcher {
  /** Stops watching; returns every change seen, one line each (empty: untouched). */
  stop(): string[];
}

function readValue(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    return `(unreadable: ${(error as NodeJS.ErrnoException).code})`;
  }
}

/** Every directory under `root` (root included); a directory that vanishes mid-walk is left out. */
function directoriesUnder(root: string): string[] {
  const found: string[] = [];
  const walk = (directory: string): void => {
    found.push(directory);
    let entries;
    try {
      entries = readdirSync(directory, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) if (entry.isDirectory() && !entry.isSymbolicLink()) walk(path.join(directory, entry.name));
  };
  walk(root);
  return found.sort();
}

/**
 * The cgroups beside this process's own, per hierarchy (its parent's other children): where the
 * process manager that started this run makes a cgroup for each other session or command. Cgroups
 * the tests make go under the hierarchy roots or under this process's own cgroup, never there.
 */
function managerDirectories(cgroupRoot: string): Array<{ parent: string; own: string }> {
  let lines: string[];
  try {
    lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
  } catch {
    return [];
  }
  const found: Array<{ parent: string; own: string }> = [];
  for (const line of lines) {
    const match = /^\d+:([^:]*):(\/.+)$/.exec(line);
    if (!match || match[2] === '/') continue;
    const names = match[1] === '' ? ['unified', ''] : [match[1]!.replace(/^name=/, ''), ...match[1]!.split(',')];
    for (const name of names) {
      const own = path.join(cgroupRoot, name, match[2]!);
      if (existsSync(own)) found.push({ parent: path.dirname(own), own });
    }
  }
  return found;
}

/**
 * Subtrees whose cgroups come and go without the tests: the process manager's (see managerDirectories),
 * a service manager's transient units (systemd's `*.scope`), and the colon-separated directories of
 * CANFORK_WATCH_IGNORE.
 */
function isForeign(directory: string, managed: Array<{ parent: string; own: string }>): boolean {
  if (/\.scope(\/|$)/.test(directory)) return true;
  for (const { parent, own } of managed) {
    if (directory.startsWith(`${parent}/`) && directory !== own && !directory.startsWith(`${own}/`)) return true;
  }
  const ignored = (process.env.CANFORK_WATCH_IGNORE ?? '').split(':').filter(Boolean);
  return ignored.some((prefix) => directory === prefix || directory.startsWith(`${prefix.replace(/\/$/, '')}/`));
}

export function watchHostState(options: { sysctls?: string[]; cgroupRoot?: string; pollMs?: number } = {}): HostWatcher {
  const sysctls = options.sysctls ?? HOST_SYSCTLS;
  const cgroupRoot = options.cgroupRoot ?? HOST_CGROUP_ROOT;
  const changes: string[] = [];
  const managed = managerDirectories(cgroupRoot);
  const note = (line: string, directory?: string): void => {
    if (directory !== undefined && isForeign(directory, managed)) return;
    if (changes.length < 100) changes.push(`${new Date().toISOString()} ${line}`);
  };
  const watchers: FSWatcher[] = [];
  const initial = new Map(sysctls.map((file) => [file, readValue(file)]));
  const initialTree = directoriesUnder(cgroupRoot);

  const checkValues = (): void => {
    for (const [file, value] of initial) {
      const now = readValue(file);
      if (now !== value && !changes.some((line) => line.endsWith(`${file}: ${value} -> ${now}`))) note(`${file}: ${value} -> ${now}`);
    }
  };

  for (const file of sysctls) {
    try {
      watchers.push(watch(file, { persistent: false }, () => {
        note(`${file} was written (value now ${readValue(file)}, before the run ${initial.get(file)})`);
      }));
    } catch {
      // Not watchable (no inotify here): the poll and the final comparison still see a change of value.
    }
  }
  const watchDirectory = (directory: string): void => {
    try {
      watchers.push(watch(directory, { persistent: false }, (event, name) => {
        if (event !== 'rename' || !name) return; // 'change' is a write to a cgroup file, not the tree
        const child = path.join(directory, name.toString());
        note(`cgroup tree: ${child} created or removed`, child);
        try {
          if (readdirSync(child)) watchDirectory(child);
        } catch {
          // removed again, or a file
        }
      }));
    } catch {
      // vanished before we could watch it: the final comparison covers it
    }
  };
  for (const directory of initialTree) watchDirectory(directory);

  const poll = setInterval(checkValues, options.pollMs ?? 20);
  poll.unref();

  return {
    stop(): string[] {
      clearInterval(poll);
      for (const watcher of watchers) watcher.close();
      checkValues();
      const finalTree = directoriesUnder(cgroupRoot);
      const before = new Set(initialTree);
      const after = new Set(finalTree);
      for (const directory of finalTree) if (!before.has(directory)) note(`cgroup tree: ${directory} is new`, directory);
      for (const directory of initialTree) if (!after.has(directory)) note(`cgroup tree: ${directory} is gone`, directory);
      return changes;
    },
  };
}
