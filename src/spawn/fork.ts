// fork(): a Node child with an IPC channel, as child_process.fork builds it, started without fork.
import type { ChildProcess, ForkOptions as NodeForkOptions } from 'node:child_process';
import { invalidArgValue, ipcRequired } from './node-errors';
import { getValidatedPath, nullCheck, nullCheckEach, validateArray, validateObject } from './normalize';
import { spawn, type CanforkOptions } from './spawn';

export interface ForkOptions extends NodeForkOptions, CanforkOptions {}

/** child_process's stdioStringToArray. */
export function stdioStringToArray(stdio: unknown, channel?: string): unknown[] {
  const result: unknown[] = [];
  switch (stdio) {
    case 'ignore':
    case 'overlapped':
    case 'pipe':
      result.push(stdio, stdio, stdio);
      break;
    case 'inherit':
      result.push(0, 1, 2);
      break;
    default:
      throw invalidArgValue('stdio', stdio);
  }
  if (channel) result.push(channel);
  return result;
}

export function fork(modulePath: string | URL, options?: ForkOptions): ChildProcess;
export function fork(modulePath: string | URL, args?: readonly string[], options?: ForkOptions): ChildProcess;
/** child_process.fork without fork(2): `execPath [...execArgv, modulePath, ...args]` with an 'ipc' stdio entry. */
export function fork(modulePath: unknown, args: unknown = [], options?: unknown): ChildProcess {
  const path = getValidatedPath(modulePath, 'modulePath');
  let argList: unknown[];
  if (args === undefined || args === null) argList = [];
  else if (typeof args === 'object' && !Array.isArray(args)) {
    options = args;
    argList = [];
  } else {
    validateArray(args, 'args');
    argList = args;
  }
  if (options !== undefined && options !== null) validateObject(options, 'options');
  const opts: Record<string, unknown> = { __proto__: null, ...(options as object | undefined), shell: false };
  opts.execPath = opts.execPath || process.execPath;
  nullCheck(opts.execPath, 'options.execPath');
  let execArgv = (opts.execArgv || process.execArgv) as string[];
  nullCheckEach(execArgv, 'options.execArgv');
  const evalSource = (process as unknown as { _eval?: string })._eval;
  if (execArgv === process.execArgv && evalSource !== undefined && evalSource !== null) {
    const index = execArgv.lastIndexOf(evalSource);
    if (index > 0) {
      // Without -e and its source, or the child would run the same code again and fork itself.
      execArgv = execArgv.slice();
      execArgv.splice(index - 1, 2);
    }
  }
  const spawnArgs = [...execArgv, path, ...argList];
  if (typeof opts.stdio === 'string') opts.stdio = stdioStringToArray(opts.stdio, 'ipc');
  else if (!Array.isArray(opts.stdio)) opts.stdio = stdioStringToArray(opts.silent ? 'pipe' : 'inherit', 'ipc');
  else if (!opts.stdio.includes('ipc')) throw ipcRequired('options.stdio');
  return spawn(opts.execPath as string, spawnArgs as string[], opts);
}
