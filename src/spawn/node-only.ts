// The functions register() installs in child_process take child_process's options only. canfork's own
// (processGroup, rlimits, forceKillAfterDelay, cgroup, killOnParentExit) are not Node's: a dependency
// that passes one for its own reasons (execa passes forceKillAfterDelay to every spawn) must see exactly
// Node's behaviour, which is to ignore it. Every canfork function reads those options synchronously,
// inside the call, so a depth counter around the call is enough.
import { promisify } from 'node:util';

let nodeOnlyDepth = 0;

/** Marks the functions register() installs, so that a program (or a test) can tell them apart. */
export const REGISTERED_MARK = Symbol.for('canfork.registered');

/** Whether the call in progress came through child_process under register(). */
export function canforkOptionsIgnored(): boolean {
  return nodeOnlyDepth > 0;
}

type AnyFunction = (...args: never[]) => unknown;

/** `fn` as child_process would have it: same name and length, canfork's own options ignored. */
export function nodeOnly<F extends AnyFunction>(fn: F): F {
  const name = fn.name;
  const wrapped = {
    [name](this: unknown, ...args: unknown[]): unknown {
      nodeOnlyDepth++;
      try {
        return Reflect.apply(fn, this, args);
      } finally {
        nodeOnlyDepth--;
      }
    },
  }[name] as unknown as F;
  Object.defineProperty(wrapped, 'length', { value: fn.length });
  Object.defineProperty(wrapped, REGISTERED_MARK, { enumerable: false, value: true });
  const custom = (fn as unknown as Record<symbol, unknown>)[promisify.custom];
  if (typeof custom === 'function') {
    Object.defineProperty(wrapped, promisify.custom, { enumerable: false, value: nodeOnly(custom as AnyFunction) });
  }
  return wrapped;
}
