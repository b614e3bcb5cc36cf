// Small helpers for the spawn tests: collect a child's output and its events.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';

export interface Finished {
  stdout: string;
  stderr: string;
  exit: [number | null, string | null] | null;
  close: [number | null, string | null];
  error: (Error & { code?: string; errno?: number; syscall?: string; path?: string; spawnargs?: string[] }) | null;
  events: string[];
}

/** Resolves on 'close' with everything the child printed and every event in order. */
export function finished(child: ChildProcess): Promise<Finished> {
  const result: Finished = { stdout: '', stderr: '', exit: null, close: [null, null], error: null, events: [] };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (result.stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (result.stderr += chunk));
  for (const name of ['spawn', 'exit', 'error']) child.on(name, () => result.events.push(name));
  child.on('exit', (code, signal) => (result.exit = [code, signal]));
  child.on('error', (error: Finished['error']) => (result.error = error));
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      result.events.push('close');
      result.close = [code, signal];
      resolve(result);
    });
  });
}

/** This process's open fds. */
export function openFds(): string[] {
  return readdirSync('/proc/self/fd');
}

/** A process's open fds, each with what it refers to (its /proc/PID/fd link); one closed meanwhile is left out. */
export function openFdTargets(pid: number | 'self' = 'self'): Map<string, string> {
  const targets = new Map<string, string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      targets.set(fd, readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // closed since the listing (the listing's own directory fd among them)
    }
  }
  return targets;
}

/** Children of this process that are zombies (exited, not reaped). */
export function zombieChildren(): number[] {
  const zombies: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command name (which may hold spaces): state ppid pgrp session ...
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (state === 'Z' && Number(ppid) === process.pid) zombies.push(Number(entry));
  }
  return zombies;
}

/** Fields of /proc/PID/stat after the command name: state is [0], ppid [1], pgrp [2], session [3]. */
export function statFields(pid: number | 'self'): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}
