// Without options.env the child's environment is process.env as it is at the spawn, read in place (no copy
// first): what child_process hands over, variable for variable and in the same order, after changes.
import * as childProcess from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { fork, spawn, spawnSync } from '../../src/index';
import { finished } from './helpers';

const added = 'CANFORK_ENV_IN_PLACE';
const removeAdded = (): void => {
  delete process.env.CANFORK_ENV_IN_PLACE;
};

afterEach(() => {
  removeAdded();
});

type Start = (file: string, args: string[], options: childProcess.SpawnOptions) => childProcess.ChildProcess;

async function envOfAsync(start: Start): Promise<string> {
  const child = start('/usr/bin/env', [], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { output += chunk; });
  await finished(child);
  return output;
}

describe('the environment without options.env', () => {
  it('is process.env at the spawn, as child_process passes it (sync and async)', async () => {
    process.env[added] = 'first';
    const before = childProcess.spawnSync('/usr/bin/env', { encoding: 'utf8' }).stdout;
    expect(before).toContain(`${added}=first\n`);
    expect(spawnSync('/usr/bin/env', { encoding: 'utf8' }).stdout).toBe(before);
    expect(await envOfAsync(spawn)).toBe(await envOfAsync(childProcess.spawn));

    process.env[added] = 'second';
    const after = await envOfAsync(spawn);
    expect(after).toContain(`${added}=second\n`);
    expect(after).toBe(await envOfAsync(childProcess.spawn));

    removeAdded();
    expect(await envOfAsync(spawn)).not.toContain(`${added}=`);
  });

  it('leaves process.env untouched, NODE_V8_COVERAGE included', async () => {
    const snapshot = { ...process.env };
    await envOfAsync(spawn);
    expect({ ...process.env }).toEqual(snapshot);
  });

  it('with ipc (fork), the child sees the inherited variables (plus Node\'s channel pairs), as child_process gives them', async () => {
    const scratch = mkdtempSync(path.join(tmpdir(), 'canfork-env-'));
    try {
      const script = path.join(scratch, 'env.js');
      writeFileSync(script, "process.send(Object.keys(process.env).filter((k) => k !== 'NODE_CHANNEL_FD'), () => process.disconnect());\n");
      process.env[added] = 'forked';
      const keysOf = async (start: typeof childProcess.fork): Promise<string[]> => {
        const child = start(script, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
        const [keys] = await once(child, 'message') as [string[]];
        await once(child, 'exit');
        return keys;
      };
      const ours = await keysOf(fork as typeof childProcess.fork);
      expect(ours).toContain(added);
      expect(ours).toEqual(await keysOf(childProcess.fork));
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('in a worker, whose process.env is its own copy, is that copy (not the process environ)', async () => {
    const source = `
      const { parentPort } = require('node:worker_threads');
      process.env.CANFORK_WORKER_ONLY = 'worker';
      const { spawnSync } = require(${JSON.stringify(path.resolve('dist/index.js'))});
      parentPort.postMessage(spawnSync('/usr/bin/env', { encoding: 'utf8' }).stdout);`;
    const worker = new Worker(source, { eval: true });
    // Armed before the message: Node drains a finished worker's port and emits 'exit' in the same tick,
    // so a listener added after the message arrives can miss the exit and wait forever.
    const exit = once(worker, 'exit');
    const [output] = await once(worker, 'message') as [string];
    expect(await exit).toEqual([0]);
    expect(output).toContain('CANFORK_WORKER_ONLY=worker\n');
    expect(process.env.CANFORK_WORKER_ONLY).toBeUndefined();
  });
});
