// Routes every child_process function of this thread through canfork, and back. The patch is applied
// to the CJS exports object that `require('child_process')` returns, then copied into the ESM view
// (`import { spawn } from 'node:child_process'`) by syncBuiltinESMExports.
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import * as canfork from './spawn/index';

const NAMES = ['spawn', 'exec', 'execFile', 'fork', 'spawnSync', 'execSync', 'execFileSync'] as const;
type Name = (typeof NAMES)[number];

const target = childProcess as unknown as Record<Name, unknown>;
let originals: Record<Name, unknown> | undefined;

/** Puts child_process back as it was (only the functions that are still ours); safe to call twice. */
function unregister(): void {
  if (originals === undefined) return;
  for (const name of NAMES) {
    if (target[name] === canfork[name]) target[name] = originals[name];
  }
  originals = undefined;
  syncBuiltinESMExports();
}

/**
 * Makes spawn, exec, execFile, fork, spawnSync, execSync and execFileSync of `node:child_process`
 * (CJS and ESM views) canfork's, for this thread: every dependency then starts processes without fork.
 * Idempotent. Returns the undo, which restores every original function.
 */
export function register(): () => void {
  if (originals === undefined) {
    const saved = {} as Record<Name, unknown>;
    for (const name of NAMES) saved[name] = target[name];
    originals = saved;
    for (const name of NAMES) target[name] = canfork[name];
    syncBuiltinESMExports();
  }
  return unregister;
}

/** Whether register() is in effect on this thread. */
export function isRegistered(): boolean {
  return originals !== undefined;
}
