// A real child_process.ChildProcess whose _handle is canfork's. Its constructor is not run: it would
// allocate a native ProcessWrap, which is never freed unless that wrap's own spawn() runs. The object is
// made with ChildProcess's prototype, initialised by EventEmitter as the constructor does (a plain call,
// not Reflect.construct with ChildProcess as new.target: V8 takes a slow path for that, 14 µs against
// 0.2), and given the fields the constructor sets, in its order. It is made by `new` of a constructor of
// its own (ChildShell) rather than Object.create: V8 then learns how many fields these objects end up
// with and keeps them all inside the object, where Object.create's fill a separate array, copied as it grows.
import { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as diagnosticsChannel from 'node:diagnostics_channel';
import type { Readable, Writable } from 'node:stream';
import { errnoException } from './node-errors';
import type { ProcessHandle } from './process-handle';
import './internals';

/** The ChildProcess fields that are not in its public type. */
export interface ChildInternals {
  /** ChildProcess.prototype.spawn: stdio, IPC, errors and events, then our handle's spawn. */
  spawn(options: object): number;
  _closesNeeded: number;
  _closesGot: number;
  connected: boolean;
  signalCode: NodeJS.Signals | null;
  exitCode: number | null;
  killed: boolean;
  spawnfile: string | null;
  spawnargs: string[];
  _handle: ProcessHandle | null;
  stdin: Writable | null;
  stdio: (Readable | Writable | null)[] | undefined;
}

const childProcessChannel = diagnosticsChannel.channel('child_process');

function maybeClose(child: ChildProcess & ChildInternals): void {
  child._closesGot++;
  if (child._closesGot === child._closesNeeded) child.emit('close', child.exitCode, child.signalCode);
}

// Streams passed in stdio (another process's stream, a socket) are marked by ChildProcess.prototype.spawn
// with an internal symbol so that they are not resumed here; it is found by its description.
function isUsedAsStdio(stream: object): boolean {
  for (const symbol of Object.getOwnPropertySymbols(stream)) {
    if (symbol.description === 'kIsUsedAsStdio') return (stream as Record<symbol, unknown>)[symbol] === true;
  }
  return false;
}

// Pulls the data of untouched streams through so that they end and 'close' can follow.
function flushStdio(child: ChildProcess & ChildInternals): void {
  const { stdio } = child;
  if (stdio === null || stdio === undefined) return;
  for (const stream of stdio) {
    if (!stream || !(stream as Readable).readable || isUsedAsStdio(stream)) continue;
    (stream as Readable).resume();
  }
}

/** A ChildProcess in the state its constructor leaves, driving `handle`. */
export type InternalChild = Omit<ChildProcess, 'spawnfile'> & ChildInternals;

// Runs nothing: its instances are ChildProcess objects (prototype, instanceof, constructor) made empty.
function ChildShell(): void {}
ChildShell.prototype = ChildProcess.prototype;

export function createChildProcess(handle: ProcessHandle): ChildProcess & ChildInternals {
  const child = new (ChildShell as unknown as new () => ChildProcess & ChildInternals)();
  EventEmitter.call(child);
  child._closesNeeded = 1;
  child._closesGot = 0;
  child.connected = false;
  child.signalCode = null;
  child.exitCode = null;
  child.killed = false;
  (child as InternalChild).spawnfile = null;
  child._handle = handle;
  // What Node's constructor installs as onexit, step for step.
  handle.onexit = (exitCode, signalCode) => {
    if (signalCode) child.signalCode = signalCode as NodeJS.Signals;
    else child.exitCode = exitCode;
    if (child.stdin) child.stdin.destroy();
    child._handle?.close();
    child._handle = null;
    if (exitCode !== null && exitCode < 0) {
      const error = errnoException(exitCode, child.spawnfile ? `spawn ${child.spawnfile}` : 'spawn') as NodeJS.ErrnoException
        & { spawnargs: string[] };
      if (child.spawnfile) error.path = child.spawnfile;
      error.spawnargs = child.spawnargs.slice(1);
      child.emit('error', error);
    } else {
      child.emit('exit', child.exitCode, child.signalCode);
    }
    process.nextTick(flushStdio, child);
    maybeClose(child);
  };
  if (childProcessChannel.hasSubscribers) childProcessChannel.publish({ process: child });
  return child;
}
