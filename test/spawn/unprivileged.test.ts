// As an unprivileged user (a child Node process dropped to nobody with setpriv): the uid/gid options
// fail with EPERM exactly where child_process's do, and a non-executable file gives EACCES.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { nobodyView, requireNobody } from '../helpers/unprivileged';

const nobody = requireNobody('spawn\'s EPERM and EACCES as an unprivileged user');
const entry = nobody.skip ? '' : nobodyView().distEntry;

const childSource = `
  const canfork = require(${JSON.stringify(entry)});
  const childProcess = require('node:child_process');
  const thrown = (fn) => { try { fn(); return 'no throw'; } catch (error) { return [error.code, error.syscall, error.message]; } };
  const outcome = {
    uid: [thrown(() => canfork.spawn('true', [], { uid: 0 })), thrown(() => childProcess.spawn('true', [], { uid: 0 }))],
    gid: [thrown(() => canfork.spawn('true', [], { gid: 0 })), thrown(() => childProcess.spawn('true', [], { gid: 0 }))],
    syncUid: [canfork.spawnSync('true', [], { uid: 0 }).error.code, childProcess.spawnSync('true', [], { uid: 0 }).error.code],
    sameUid: canfork.spawnSync('id', ['-u'], { uid: process.getuid(), encoding: 'utf8' }).stdout,
  };
  canfork.spawn('/etc/passwd').on('error', (error) => {
    outcome.eacces = [error.code, error.syscall];
    console.log(JSON.stringify(outcome));
  });
`;

describe.skipIf(nobody.skip)('spawn as an unprivileged user', () => {
  it('EPERM for uid/gid as child_process throws it; EACCES for a non-executable file', () => {
    const output = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', childSource], {
      encoding: 'utf8', cwd: '/',
    });
    expect(JSON.parse(output)).toEqual({
      uid: [['EPERM', 'spawn', 'spawn EPERM'], ['EPERM', 'spawn', 'spawn EPERM']],
      gid: [['EPERM', 'spawn', 'spawn EPERM'], ['EPERM', 'spawn', 'spawn EPERM']],
      syncUid: ['EPERM', 'EPERM'],
      sameUid: '65534\n',
      eacces: ['EACCES', 'spawn /etc/passwd'],
    });
  });
});
