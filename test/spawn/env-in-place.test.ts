// Without options.env the child's environment is process.env as it is at the spawn, read in place (no copy
// first): what child_process hands over, variable for variable and in the same order, after changes.
import * as childProcess from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from '../../src/index';
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
});
