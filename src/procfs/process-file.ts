// Reading /proc/PID/* files: a vanished process is a system error ESRCH; a permission problem is a value the
// caller turns into a warning (another user's maps and smaps need ptrace-read rights).
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { systemError } from '../errors';
import { readKeptBytes, readKeptFile } from './kept-file';

export type ProcessFileText = { text: string; path: string } | { denied: string; path: string };
export type ProcessFileBytes = { bytes: Buffer; path: string } | { denied: string; path: string };

/** Our own process's files are read through a kept descriptor (src/procfs/kept-file.ts), anyone else's afresh. */
export function readProcText(pid: number, path: string): string {
  return pid === process.pid ? readKeptFile(path) : readFileSync(path, 'utf8');
}

/** Whether a failed /proc/PID read means the process is gone (it never existed, or exited meanwhile). */
export function isVanishedProcess(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ESRCH';
}

/** `read` of /proc/PID/NAME, with the errors readProcessFile states. */
function readProcessWith<R>(pid: number, name: string, read: (path: string) => R): R | { denied: string; path: string } {
  const path = `/proc/${pid}/${name}`;
  try {
    return read(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (isVanishedProcess(error)) throw systemError(constants.errno.ESRCH, 'open', path);
    if (code === 'EACCES' || code === 'EPERM') return { denied: code, path };
    throw error;
  }
}

/**
 * Reads /proc/PID/NAME once. ENOENT/ESRCH (no such process, or it exited) → throws system error ESRCH;
 * EACCES/EPERM → `{ denied: 'EACCES' }`; anything else is rethrown.
 */
export function readProcessFile(pid: number, name: string): ProcessFileText {
  return readProcessWith(pid, name, (path) => ({ text: readProcText(pid, path), path }));
}

/**
 * As {@link readProcessFile}, the bytes undecoded (for a parser of bytes). This process's come in the kept files'
 * shared buffer: to be parsed at once, before the next read.
 */
export function readProcessBytes(pid: number, name: string): ProcessFileBytes {
  return readProcessWith(pid, name, (path) => ({ bytes: pid === process.pid ? readKeptBytes(path) : readFileSync(path), path }));
}

/** As {@link readProcessFile}, for files that every user may read (status, limits, cgroup). */
export function readPublicProcessFile(pid: number, name: string): { text: string; path: string } {
  const result = readProcessFile(pid, name);
  if ('denied' in result) throw systemError(constants.errno[result.denied as 'EACCES'], 'open', result.path);
  return result;
}
