// What ChildProcess.prototype.spawn is handed: canfork's spawn() must give it the options object
// child_process.spawn gives it (normalizeSpawnArguments of lib/child_process.js), key for key and in the
// same order, for each way the arguments can be written.
import * as childProcess from 'node:child_process';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from '../../src/index';

type Spawn = (this: childProcess.ChildProcess, options: Record<string, unknown>) => unknown;
const prototype = childProcess.ChildProcess.prototype as unknown as { spawn: Spawn };
const originalSpawn = prototype.spawn;
let handed: Record<string, unknown>[] = [];

beforeEach(() => {
  handed = [];
  prototype.spawn = function spy(this: childProcess.ChildProcess, options: Record<string, unknown>) {
    // Entries as handed over, before ChildProcess.prototype.spawn adds to the object.
    handed.push(Object.fromEntries(Object.entries(options)));
    return originalSpawn.call(this, options);
  };
});

afterEach(() => {
  prototype.spawn = originalSpawn;
});

async function optionsOf(start: () => childProcess.ChildProcess): Promise<Record<string, unknown>> {
  const child = start();
  await once(child, 'close');
  expect(handed).toHaveLength(1);
  return handed.pop()!;
}

const cases: [string, string, readonly string[] | undefined, childProcess.SpawnOptions | undefined][] = [
  ['no args, no options', 'true', undefined, undefined],
  ['args and stdio', 'sh', ['-c', 'exit 0'], { stdio: 'ignore' }],
  ['options in place of args', 'true', undefined, { stdio: 'ignore', cwd: '/tmp' }],
  ['env, argv0, detached, windows flags', 'true', [], { env: { A: '1', PATH: process.env.PATH }, argv0: 'zero', detached: false, windowsHide: true, stdio: 'ignore' }],
  ['shell', 'exit 0', [], { shell: true, stdio: 'ignore', cwd: undefined }],
];

describe('the options ChildProcess.prototype.spawn receives', () => {
  it.each(cases)('are child_process.spawn\'s: %s', async (_name, file, args, options) => {
    // The arguments as written: options alone in args' place when there are no args.
    const written = args === undefined ? [options] : [args, options];
    const start = (run: (file: string, ...rest: unknown[]) => childProcess.ChildProcess) => () => run(file, ...written);
    const ours = await optionsOf(start(spawn as (file: string, ...rest: unknown[]) => childProcess.ChildProcess));
    const node = await optionsOf(start(childProcess.spawn as (file: string, ...rest: unknown[]) => childProcess.ChildProcess));
    expect(Object.keys(ours)).toEqual(Object.keys(node));
    // Without options.env, canfork hands the native side environ itself: envPairs is a marker, not the copy.
    const comparable = (entries: Record<string, unknown>) => (options?.env ? entries : { ...entries, envPairs: 'inherited' });
    expect(comparable(ours)).toEqual(comparable(node));
  });
});

describe('options.args, argv0 first', () => {
  class Args extends Array<string> {}
  // eslint-disable-next-line no-sparse-arrays
  const sparse = ['a', , 'b'] as string[];
  it.each([
    ['a hole (kept a hole, not made undefined)', sparse],
    ['a subclass of Array (its class kept)', Args.from(['a', 'b'])],
    ['no args', []],
  ])('are child_process.spawn\'s: %s', async (_name, args) => {
    const ours = await optionsOf(() => spawn('true', args, { stdio: 'ignore' }));
    const node = await optionsOf(() => childProcess.spawn('true', args, { stdio: 'ignore' }));
    const [oursArgs, nodeArgs] = [ours.args, node.args] as string[][];
    expect(Object.keys(oursArgs!)).toEqual(Object.keys(nodeArgs!));
    expect(oursArgs).toStrictEqual(nodeArgs);
    expect(Object.getPrototypeOf(oursArgs)).toBe(Object.getPrototypeOf(nodeArgs));
    expect(oursArgs).not.toBe(args);
  });
});
