// native/task-trial.cc through the binding: the task trial in this process's own namespace (no rights needed),
// its typed refusals of bad input, and the namespace chain. Nothing may be left: no child, no fd.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { native } from '../../src/binding';

const openFds = (): string[] => readdirSync('/proc/self/fd');
const children = (): number[] => {
  try {
    return readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

describe('taskTrial', () => {
  it('creates one task in this namespace, which reads its pid_max, and reaps it: 200 times, nothing left', () => {
    const fds = openFds().length;
    const before = children();
    const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    const namespace = Number(/\d+/.exec(readlinkSync('/proc/self/ns/pid_for_children'))![0]);
    const helpers = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const result = native.taskTrial(process.pid, '');
      expect(result).toMatchObject({ errno: 0, syscall: '', enteredNamespace: false, namespace, pidMax });
      // In this namespace the task's own pid is the one this process saw.
      expect(result.namespacePid).toBe(result.helperPid);
      helpers.add(result.helperPid);
    }
    expect(helpers.size).toBe(200);
    expect(openFds().length).toBe(fds);
    expect(children()).toEqual(before);
  });

  it('a process that does not exist: -ENOENT from opening its namespace, nothing created', () => {
    expect(native.taskTrial(4194304, '')).toMatchObject({ errno: -constants.errno.ENOENT, syscall: 'open', path: '/proc/4194304/ns/pid_for_children', helperPid: -1 });
  });

  it('a cgroup directory that cannot be opened: -ENOENT, nothing created', () => {
    expect(native.taskTrial(process.pid, '/sys/fs/cgroup/no-such-cgroup')).toMatchObject({ errno: -constants.errno.ENOENT, syscall: 'open', helperPid: -1 });
  });

  it('refuses bad arguments with TypeError and RangeError, before any syscall', () => {
    const binding = native as unknown as Record<string, (...args: unknown[]) => unknown>;
    expect(() => binding.taskTrial!('1', '')).toThrow(TypeError);
    expect(() => binding.taskTrial!(1, 2)).toThrow(TypeError);
    for (const pid of [0, -1, 1.5, 4194305, NaN, Infinity]) expect(() => native.taskTrial(pid, '')).toThrow(RangeError);
    expect(() => binding.pidNamespaceChain!('1')).toThrow(TypeError);
    expect(() => native.pidNamespaceChain(0)).toThrow(RangeError);
  });
});

describe('pidNamespaceChain', () => {
  it('is empty for a process of this namespace, and a negative errno for one that does not exist', () => {
    expect(native.pidNamespaceChain(process.pid)).toEqual([]);
    expect(native.pidNamespaceChain(4194304)).toBe(-constants.errno.ENOENT);
  });
});
