// /proc/loadavg: field 4 is nr_running()/nr_threads (fs/proc/loadavg.c loadavg_proc_show).
import { readKeptFile } from './kept-file';
import { ProcfsParseError } from './parse-error';

export interface Loadavg {
  load1: number;
  load5: number;
  load15: number;
  runnable: number;
  /** nr_threads: every task on the machine, kernel threads included (what copy_process compares with max_threads). */
  threads: number;
  lastPid: number;
}

export function parseLoadavg(text: string, path?: string): Loadavg {
  const match = /^(\d+\.\d+) (\d+\.\d+) (\d+\.\d+) (\d+)\/(\d+) (\d+)\n?$/.exec(text);
  if (!match) throw new ProcfsParseError(`unexpected content '${text.trim().slice(0, 80)}'`, path, 1);
  return {
    load1: Number(match[1]),
    load5: Number(match[2]),
    load15: Number(match[3]),
    runnable: Number(match[4]),
    threads: Number(match[5]),
    lastPid: Number(match[6]),
  };
}

export function readLoadavg(): Loadavg {
  const path = '/proc/loadavg';
  return parseLoadavg(readKeptFile(path), path);
}
