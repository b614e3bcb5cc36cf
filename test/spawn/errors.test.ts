// Failures as child_process reports them: which emit 'error', which throw, and with what fields.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { spawn as cpSpawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from '../../src/index';
import { expectCodedError } from '../helpers/errors';
import { finished } from './helpers';

const scratch = mkdtempSync(path.join(tmpdir(), 'canfork-spawn-errors-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const notExecutable = path.join(scratch, 'not-executable');
writeFileSync(notExecutable, '#!/bin/sh\necho never\n');
chmodSync(notExecutable, 0o644);

describe('spawn errors', () => {
  it("a missing program: 'error' ENOENT like child_process, then 'close' with -2 and no 'exit'", async () => {
    const ours = await finished(spawn('canfork-no-such-program', ['x']));
    const theirs = await finished(cpSpawn('canfork-no-such-program', ['x']) as never);
    expect(ours.error).toMatchObject({
      code: 'ENOENT', errno: -2, syscall: 'spawn canfork-no-such-program', path: 'canfork-no-such-program', spawnargs: ['x'],
      message: 'spawn canfork-no-such-program ENOENT',
    });
    expect(ours.events).toEqual(['error', 'close']);
    expect(ours.events).toEqual(theirs.events);
    expect(ours.close).toEqual(theirs.close);
    for (const key of ['code', 'errno', 'syscall', 'path', 'spawnargs', 'message'] as const) {
      expect(ours.error![key]).toEqual(theirs.error![key]);
    }
  });

  it('a bad cwd is reported as ENOENT of the spawn, as child_process does', async () => {
    const ours = await finished(spawn('/bin/true', [], { cwd: path.join(scratch, 'missing') }));
    expect(ours.error).toMatchObject({ code: 'ENOENT', syscall: 'spawn /bin/true', path: '/bin/true' });
  });

  it('a file without any execute bit: EACCES (for root too)', async () => {
    const ours = await finished(spawn(notExecutable));
    expect(ours.error).toMatchObject({ code: 'EACCES', syscall: `spawn ${notExecutable}` });
  });

  it('PATH search remembers EACCES and goes on to the next entry, as execvp does', async () => {
    const runnable = path.join(scratch, 'bin');
    rmSync(runnable, { recursive: true, force: true });
    const { mkdirSync, copyFileSync } = await import('node:fs');
    mkdirSync(runnable);
    copyFileSync('/bin/true', path.join(runnable, 'not-executable'));
    chmodSync(path.join(runnable, 'not-executable'), 0o755);
    const found = spawnSync('not-executable', [], { env: { PATH: `${scratch}:${runnable}` } });
    expect(found.status).toBe(0);
    const missing = spawnSync('not-executable', [], { env: { PATH: `${scratch}:/nonexistent` } });
    // Root may exec a file with no x bit only if some x bit is set: none is, so EACCES either way.
    expect(missing.error).toMatchObject({ code: 'EACCES', syscall: 'spawnSync not-executable' });
  });

  it('NUL bytes in the command, args, env keys and values or cwd: TypeError ERR_INVALID_ARG_VALUE, nothing runs', () => {
    expectCodedError(() => spawn('echo\u0000x'), TypeError, 'ERR_INVALID_ARG_VALUE');
    expectCodedError(() => spawn('echo', ['a\u0000b']), TypeError, 'ERR_INVALID_ARG_VALUE');
    expectCodedError(() => spawn('echo', [], { env: { A: 'a\u0000' } }), TypeError, 'ERR_INVALID_ARG_VALUE');
    expectCodedError(() => spawn('echo', [], { env: { 'A\u0000B': 'a' } }), TypeError, 'ERR_INVALID_ARG_VALUE');
    expectCodedError(() => spawn('echo', [], { cwd: '/tmp\u0000/x' }), TypeError, 'ERR_INVALID_ARG_VALUE');
    expectCodedError(() => spawn('echo', [], { argv0: 'a\u0000' }), TypeError, 'ERR_INVALID_ARG_VALUE');
    expectCodedError(() => spawnSync('echo', ['a\u0000b']), TypeError, 'ERR_INVALID_ARG_VALUE');
  });

  it('bad arguments and options throw before anything runs', () => {
    expectCodedError(() => spawn(42 as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCodedError(() => spawn(''), TypeError, 'ERR_INVALID_ARG_VALUE');
    expectCodedError(() => spawn('true', 'x' as never), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCodedError(() => spawn('true', [], { killSignal: 'SIGNOPE' as never }), TypeError, 'ERR_UNKNOWN_SIGNAL');
    expectCodedError(() => spawn('true', [], { rlimits: { bogus: 1 } as never }), TypeError, 'ERR_INVALID_ARG_VALUE');
    expectCodedError(() => spawn('true', [], { timeout: -1 }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCodedError(() => spawn('true', [], { signal: 'x' as never }), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectCodedError(() => spawnSync('true', [], { maxBuffer: -1 }), RangeError, 'ERR_OUT_OF_RANGE');
    expectCodedError(() => spawnSync('true', [], { input: 5 as never }), TypeError, 'ERR_INVALID_ARG_TYPE');
  });

  it('failures child_process throws for are thrown: a raised hard limit without privilege is EPERM', () => {
    // Raising nofile's hard limit above fs.nr_open fails for root too.
    let thrown: unknown;
    try {
      spawn('true', [], { rlimits: { nofile: 2 ** 40 } });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ syscall: 'spawn', code: 'EPERM', message: 'spawn EPERM' });
  });

  it('kill() with an unknown signal throws ERR_UNKNOWN_SIGNAL', async () => {
    const child = spawn('true');
    expectCodedError(() => child.kill('SIGBOGUS' as never), TypeError, 'ERR_UNKNOWN_SIGNAL');
    await finished(child);
  });
});
