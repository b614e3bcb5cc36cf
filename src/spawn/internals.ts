// What canfork relies on inside the running Node's child_process, checked once at load: if any of it
// is not there, loading fails with one error naming the Node version, before anything is patched.
import { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as util from 'node:util';
import type { StdioContainer } from './plan';

export class UnsupportedNodeError extends Error {
  readonly code = 'ERR_CANFORK_UNSUPPORTED_NODE';
  constructor(detail: string) {
    super(`canfork cannot run child processes on Node ${process.version}: ${detail}`);
    this.name = 'UnsupportedNodeError';
  }
}

/** The fields of ChildProcess its constructor sets, in its order (lib/internal/child_process.js). */
export const CONSTRUCTOR_FIELDS = ['_closesNeeded', '_closesGot', 'connected', 'signalCode', 'exitCode', 'killed', 'spawnfile', '_handle'];

type SpawnMethod = (this: object, options: object) => number;
const prototypeSpawn = (ChildProcess.prototype as unknown as { spawn?: SpawnMethod }).spawn;

export interface ProbeResult {
  /** Node 20 passes one options object to the handle; later versions pass its fields. */
  passesOptionsObject: boolean;
}

// Drives ChildProcess.prototype.spawn once with a handle whose spawn fails with EINVAL: Node builds the
// stdio Pipe handles, calls our handle, then closes the pipes and throws. That shows the calling shape
// and that Node's Pipe handles have open(), without any process or leaked handle.
function probe(): ProbeResult {
  const EINVAL = -22;
  let seen: unknown[] | undefined;
  const target = Reflect.construct(EventEmitter, [], ChildProcess) as unknown as { _handle: unknown };
  target._handle = {
    spawn: (...args: unknown[]) => {
      seen = args;
      return EINVAL;
    },
    close: () => {},
  };
  let thrown: unknown;
  try {
    (prototypeSpawn as SpawnMethod).call(target, { file: 'probe', args: ['probe'], envPairs: [], stdio: ['pipe', 'ignore', 'ipc'] });
  } catch (error) {
    thrown = error;
  }
  if ((thrown as NodeJS.ErrnoException | undefined)?.code !== 'EINVAL' || seen === undefined) {
    throw new UnsupportedNodeError('ChildProcess.prototype.spawn does not call this._handle.spawn() as expected');
  }
  const passesOptionsObject = seen.length === 1;
  const stdio = (passesOptionsObject ? (seen[0] as { stdio: unknown }).stdio : seen[4]) as StdioContainer[] | undefined;
  const [pipe, ignore, ipc] = stdio ?? [];
  if (pipe?.type !== 'pipe' || typeof pipe.handle?.open !== 'function' || ignore?.type !== 'ignore' || ipc?.ipc !== true) {
    throw new UnsupportedNodeError('the stdio containers handed to the process handle have an unexpected shape');
  }
  return { passesOptionsObject };
}

function check(): ProbeResult {
  if (typeof ChildProcess !== 'function' || typeof prototypeSpawn !== 'function') {
    throw new UnsupportedNodeError('child_process.ChildProcess has no spawn method');
  }
  const constructorSource = Function.prototype.toString.call(ChildProcess);
  for (const field of [...CONSTRUCTOR_FIELDS, 'onexit']) {
    if (!constructorSource.includes(field)) throw new UnsupportedNodeError(`the ChildProcess constructor no longer sets ${field}`);
  }
  if (typeof (util as unknown as { _errnoException?: unknown })._errnoException !== 'function') {
    throw new UnsupportedNodeError('util._errnoException is missing');
  }
  return probe();
}

export const nodeShape: ProbeResult = check();
