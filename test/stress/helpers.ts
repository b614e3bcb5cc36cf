// What the stress tests watch: this process's fds, zombie children, mappings and resident memory.
import { readdirSync, readFileSync } from 'node:fs';

export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

export function mappingCount(): number {
  return readFileSync('/proc/self/maps', 'utf8').split('\n').filter((line) => line !== '').length;
}

export function rssBytes(): number {
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
}

export { zombieChildren } from '../spawn/helpers';

/** Polls `read` until `done` or about two seconds: exits are reaped from the event loop, a little later. */
export async function settle<T>(read: () => T, done: (value: T) => boolean): Promise<T> {
  let value = read();
  for (let tries = 0; tries < 200 && !done(value); tries++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    value = read();
  }
  return value;
}
