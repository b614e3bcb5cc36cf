// Runs a script in a fresh node (dist/ build) and returns what it printed as JSON: the tests below need
// a process whose fds, groups and signal state they set up before canfork runs in it, and a crash there
// must be a failed test, not a dead vitest worker.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';

export const distEntry = require.resolve('../../dist/index.js');

export interface NodeRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * `node -e source` through `launcher` (argv before node, e.g. setpriv), with `canfork` bound in the
 * script unless `loadCanfork` is false.
 */
export function runNode(source: string, options: { launcher?: string[]; spawn?: SpawnSyncOptions; loadCanfork?: boolean } = {}): NodeRun {
  const script = options.loadCanfork === false ? source : `const canfork = require(${JSON.stringify(distEntry)});\n${source}`;
  const [command, ...args] = [...(options.launcher ?? []), process.execPath, '-e', script];
  const result = spawnSync(command!, args, { encoding: 'utf8', timeout: 60_000, ...options.spawn });
  return { status: result.status, signal: result.signal, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** The JSON value the script printed last; fails with everything the script said when there is none. */
export function jsonOf(run: NodeRun): unknown {
  const lines = run.stdout.trim().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1]!);
  } catch {
    throw new Error(`no JSON from the child (status ${run.status}, signal ${run.signal}):\n${run.stdout}\n${run.stderr}`);
  }
}
