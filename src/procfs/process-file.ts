// Reading /proc/PID/* files: a vanished process is a system error ESRCH; a permission problem is a value the
// caller turns into a warning (another user's maps and smaps need ptrace-read rights).
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { systemError } from '../errors';
import { readKeptFile } from './kept-file';

export type ProcessFileText = { text: string; path: string } | { denied: string; path: string };

/** Our own process's files are read through a kept descriptor (src/procfs/kept-file.ts), anyone else's afresh. */
export function readProcText(pid: number, path: string): string {
  return pid === process.pid ? readKeptFile(path) : readFileSync(path, 'utf8');
}

/** Whether a failed /proc/PID read means the process is gone (it never existed, or exited meanwhile). */
export function isVanishedProcess(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ESRCH';
}

/**
 * Reads /proc/PID/NAME once. ENOENT/ESRCH (no such process, or it exited) → throws system error ESRCH;
 * EACCES/EPERM → `{ denied: 'EACCES' }`; anything else is rethrown.
 */
export function readProcessFile(pid: number, name: string): ProcessFileText {
  const path = `/proc/${pid}/${name}`;
  try {
    return { text: readProcText(pid, path), path };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (isVanishedProcess(error)) throw systemError(constants.errno.ESRCH, 'open', path);
    if (code === 'EACCES' || code === 'EPERM') return { denied: code, path };
    throw error;
  }
}

/** As {@link readProcessFile}, for files that every user may read (status, limits, cgroup). */
export function readPublicProcessFile(pid: number, name: string): { text: string; path: string } {
  const result = readProcessFile(pid, name);
  if ('denied' in result) throw systemError(constants.errno[result.denied as 'EACCES'], 'open', result.path);
  return result;
}
