// What a test needs from the machine, said once, so that every skip looks the same and is counted:
//
//   const promtool = requireTool('promtool', 'prometheus');
//   describe.skipIf(promtool.skip)('... (needs promtool)', () => { ... });
//
//   const host = requireSystemTests('lowers kernel.pid_max');      // CANFORK_SYSTEM_TESTS=1 opt-in
//   describe.skipIf(host.skip)(...)
//
// A gate that skips prints one line (the file and why), and appends it to the run's skip log, which
// the test command prints as a summary at the end. With CANFORK_NO_SKIP=1 (CI) a gate that would skip
// throws instead, so the file fails: CI can never pass by skipping.
import { spawnSync } from 'node:child_process';
import { accessSync, appendFileSync, constants } from 'node:fs';
import * as path from 'node:path';

/** A requirement, checked: `skip` true when the test cannot run here; `reason` says why in one line. */
export interface Gate {
  readonly skip: boolean;
  readonly reason: string;
}

const repoRoot = path.resolve(__dirname, '../..');
const passed: Gate = Object.freeze({ skip: false, reason: '' });

/** The test file that asked (from the call stack), relative to the repository, for the skip line. */
function callerFile(): string {
  const stack = new Error().stack ?? '';
  for (const line of stack.split('\n')) {
    const match = /\(?((?:file:\/\/)?\/[^():]+\.(?:test\.)?[cm]?[tj]s):\d+:\d+\)?$/.exec(line.trim());
    if (!match) continue;
    const file = match[1]!.replace(/^file:\/\//, '');
    if (file.includes('/test/helpers/') || file.includes('/node_modules/')) continue;
    return path.relative(repoRoot, file);
  }
  return '(unknown file)';
}

/** Records a skip (or, under CANFORK_NO_SKIP=1, fails) and returns the gate. */
export function skipBecause(reason: string): Gate {
  const file = callerFile();
  const line = `${file}: ${reason}`;
  if (process.env.CANFORK_NO_SKIP === '1') {
    throw new Error(`CANFORK_NO_SKIP=1 and a test would skip: ${line}`);
  }
  console.log(`skipped: ${line}`);
  const log = process.env.CANFORK_SKIP_LOG;
  if (log) appendFileSync(log, `${line}\n`);
  return Object.freeze({ skip: true, reason });
}

/** Passes when every gate passes; else the first one that skips (already recorded by its own call). */
export function allOf(...gates: Gate[]): Gate {
  return gates.find((gate) => gate.skip) ?? passed;
}

const toolCache = new Map<string, boolean>();

/** True when `tool` is an executable on PATH. */
export function hasTool(tool: string): boolean {
  let found = toolCache.get(tool);
  if (found === undefined) {
    found = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', tool], { stdio: 'ignore' }).status === 0;
    toolCache.set(tool, found);
  }
  return found;
}

/**
 * A system tool on PATH. The test command installs the missing ones with apt-get when it runs as root;
 * otherwise the test skips naming the tool and its Debian package.
 */
export function requireTool(tool: string, debianPackage: string): Gate {
  if (hasTool(tool)) return passed;
  return skipBecause(`needs ${tool} (Debian package ${debianPackage}; apt-get install ${debianPackage})`);
}

export const isRoot = process.getuid?.() === 0;

/** Root, for `why` (e.g. 'setpriv to drop to nobody'). */
export function requireRoot(why: string): Gate {
  return isRoot ? passed : skipBecause(`needs root: ${why}`);
}

/**
 * The opt-in for tests that change host-wide state (sysctls, the machine's cgroups, users):
 * CANFORK_SYSTEM_TESTS=1 (CI sets it). `what` says what the test changes. Prefer a namespace of the
 * test's own (`unshare`) where the kernel allows it, and restore everything in `finally`.
 */
export function requireSystemTests(what: string): Gate {
  if (process.env.CANFORK_SYSTEM_TESTS === '1') return passed;
  return skipBecause(`changes host state (${what}); set CANFORK_SYSTEM_TESTS=1 to run it`);
}

/** A sysctl the test may write: root, and /proc/sys writable (a container may mount it read-only). */
export function requireWritableSysctl(file: string): Gate {
  if (!isRoot) return skipBecause(`needs root: writes ${file}`);
  try {
    accessSync(file, constants.W_OK);
    return passed;
  } catch (error) {
    return skipBecause(`${file} is not writable here (${(error as NodeJS.ErrnoException).code})`);
  }
}

/** A fact about this machine the test depends on (overcommit mode, a cgroup v1 hierarchy, ...). */
export function requireHost(holds: boolean, reason: string): Gate {
  return holds ? passed : skipBecause(reason);
}
