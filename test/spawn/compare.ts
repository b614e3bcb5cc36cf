// Runs the same scenario through child_process and through canfork and records what a program can
// observe (events in order with their arguments, errors with their class and fields), so that a test
// can compare the two records for equality.
import * as childProcess from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as canfork from '../../src/index';

export type Library = Pick<typeof childProcess, 'spawn' | 'exec' | 'execFile' | 'fork' | 'spawnSync' | 'execSync' | 'execFileSync'>;
export const libraries: [[string, Library], [string, Library]] = [['child_process', childProcess], ['canfork', canfork as unknown as Library]];

/** What a program sees of an error: class, Node code, message, own keys and the usual fields. */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { notAnError: String(error) };
  const fields = error as Error & Record<string, unknown>;
  const described: Record<string, unknown> = {
    constructor: error.constructor.name,
    name: error.name,
    message: error.message,
    string: String(error),
    keys: Object.keys(error),
  };
  for (const key of ['code', 'errno', 'syscall', 'path', 'spawnargs', 'cmd', 'killed', 'signal', 'status', 'stdout', 'stderr']) {
    if (key in fields) described[key] = describeValue(fields[key]);
  }
  if (error.cause !== undefined) described.cause = describeValue(error.cause);
  return described;
}

function describeValue(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return `<Buffer ${value.toString('hex')}>`;
  if (value instanceof Error) return describeError(value);
  return value;
}

/** Whatever `fn` throws, described; 'returned' when it does not throw. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return describeError(error);
  }
  return 'returned';
}

/** Every event of the child and of its stdio streams, in order, until 'close' (or a 5 s guard). */
export function recordEvents(child: ChildProcess): Promise<{ events: unknown[]; stdout: string; stderr: string }> {
  const events: unknown[] = [];
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  for (const name of ['spawn', 'exit', 'error', 'disconnect', 'message']) {
    child.on(name, (...args: unknown[]) => events.push([name, ...args.map(describeValue)]));
  }
  child.stdin?.on('error', (error) => events.push(['stdin error', describeError(error)]));
  return new Promise((resolve) => {
    const guard = setTimeout(() => resolve({ events: [...events, 'no close within 5 s'], stdout, stderr }), 5000);
    child.on('close', (...args: unknown[]) => {
      clearTimeout(guard);
      events.push(['close', ...args]);
      resolve({ events, stdout, stderr });
    });
  });
}

/** The same async scenario through both libraries: [child_process's record, canfork's record]. */
export async function both<T>(scenario: (library: Library) => Promise<T>): Promise<[T, T]> {
  const results: T[] = [];
  for (const [, library] of libraries) results.push(await scenario(library));
  return results as [T, T];
}
