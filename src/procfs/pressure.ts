// The OOM side of memory: pressure stall information (/proc/pressure/memory, kernel/sched/psi.c, 4.20+ with
// CONFIG_PSI), the OOM killer's count (oom_kill of /proc/vmstat, mm/vmstat.c, 4.13+) and a process's
// badness (/proc/PID/oom_score, fs/proc/base.c).
import { readFileSync } from 'node:fs';
import { ProcfsParseError } from './parse-error';
import { readProcText } from './process-file';

/** avg10 of the `some` and `full` lines, as ratios 0..1 (the file gives percentages). */
export interface MemoryPressure {
  some: number;
  full: number;
}

export function parseMemoryPressure(text: string, path?: string): MemoryPressure {
  const avg10 = (kind: 'some' | 'full'): number => {
    const match = new RegExp(`^${kind} avg10=(\\d+(?:\\.\\d+)?) `, 'm').exec(text);
    if (!match) throw new ProcfsParseError(`no '${kind} avg10=' line`, path);
    return Number(match[1]) / 100;
  };
  return { some: avg10('some'), full: avg10('full') };
}

function readOptional(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    // No PSI (CONFIG_PSI off, or psi=0: EOPNOTSUPP on read), or a kernel without the file.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EOPNOTSUPP' || code === 'EACCES') return null;
    throw error;
  }
}

/** null when the kernel has no PSI. */
export function readMemoryPressure(): MemoryPressure | null {
  const path = '/proc/pressure/memory';
  const text = readOptional(path);
  return text === null ? null : parseMemoryPressure(text, path);
}

/** oom_kill of /proc/vmstat, or null on kernels that do not count it. */
export function parseOomKills(text: string, path?: string): number | null {
  const match = /^oom_kill (\S+)$/m.exec(text);
  if (!match) return null;
  if (!/^\d+$/.test(match[1] ?? '')) throw new ProcfsParseError(`bad oom_kill '${(match[1] ?? '').slice(0, 40)}'`, path);
  return Number(match[1]);
}

export function readOomKills(): number | null {
  const path = '/proc/vmstat';
  const text = readOptional(path);
  return text === null ? null : parseOomKills(text, path);
}

/** /proc/PID/oom_score: 0..1000 (2000 with a positive oom_score_adj on older kernels); null when the process is gone. */
export function readOomScore(pid: number): number | null {
  const path = `/proc/${pid}/oom_score`;
  let text: string;
  try {
    text = readProcText(pid, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH' || code === 'EACCES') return null;
    throw error;
  }
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) throw new ProcfsParseError(`expected a number, got '${trimmed.slice(0, 40)}'`, path, 1);
  return Number(trimmed);
}
