// The census: NSpid, NSpgid and NSsid per level from /proc/PID/status (captured here, the namespace ones from a
// process in `unshare --pid --fork --mount-proc` read from the host), and one live pass over /proc.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCensusStatus, parseNamespaceLink, readTaskCensus } from '../../src/procfs/census';
import { ProcfsParseError } from '../../src/procfs/parse-error';
import { fixture } from './fixture';

describe('parseCensusStatus', () => {
  it('a process of the initial namespace: one level', () => {
    const parsed = parseCensusStatus(fixture('proc/node-small/status'));
    expect(parsed.nsPids).toEqual([parsed.pid]);
    expect(parsed.nsProcessGroups).toHaveLength(1);
    expect(parsed).toMatchObject({ comm: 'node', state: 'R', realUid: 0 });
    expect(parsed.threads).toBeGreaterThan(1);
  });

  it('a process one namespace down, seen from the host: two levels; its group and session have no number there', () => {
    expect(parseCensusStatus(fixture('proc/namespace/parent-status'))).toEqual({
      pid: 7117, comm: 'perl', state: 'R', ppid: 7116, realUid: 0, threads: 1,
      nsPids: [7117, 2], nsProcessGroups: [7113, 0], nsSessions: [3551, 0],
    });
    expect(parseCensusStatus(fixture('proc/namespace/zombie-status'))).toMatchObject({ state: 'Z', ppid: 7117, nsPids: [7364, 164] });
  });

  it('a kernel without NS lines (before 4.1): one level', () => {
    const old = fixture('proc/node-small/status').split('\n').filter((line) => !line.startsWith('NS')).join('\n');
    const parsed = parseCensusStatus(old);
    expect(parsed.nsPids).toEqual([parsed.pid]);
  });

  it('rejects levels that disagree, or a bad field', () => {
    const text = fixture('proc/namespace/parent-status');
    expect(() => parseCensusStatus(text.replace('NSpgid:\t7113\t0', 'NSpgid:\t7113'), 'x')).toThrow(ProcfsParseError);
    expect(() => parseCensusStatus(text.replace('NSpid:\t7117\t2', 'NSpid:\t7117\tx'))).toThrow(/bad NSpid/);
    expect(() => parseCensusStatus(text.replace('NSpid:\t7117\t2', 'NSpid:\t7118\t2'))).toThrow(/disagree/);
    expect(() => parseCensusStatus(text.replace(/^State:.*$/m, 'State:\t'))).toThrow(/State/);
    expect(() => parseCensusStatus(text.replace(/^PPid:.*$/m, ''))).toThrow(/PPid/);
  });

  it('a process reaped while the kernel wrote its status: gone (ESRCH), not a parse error', () => {
    // Built from the kernel rule, which no capture here can catch on purpose: task_state() (fs/proc/array.c)
    // writes Pid: from the /proc inode's struct pid, and Tgid, PPid and every NS* level from the task, which
    // read 0 once release_task() has unhashed it. The stress test's churn met this text.
    const reaped = fixture('proc/namespace/parent-status').replace(/^(Tgid|PPid):.*$/gm, '$1:\t0')
      .replace(/^(NStgid|NSpid|NSpgid|NSsid):.*$/gm, '$1:\t0\t0');
    expect(() => parseCensusStatus(reaped, '/proc/7117/status')).toThrow(expect.objectContaining({
      code: 'ESRCH', syscall: 'read', path: '/proc/7117/status' }));
    // The census skips it like a process whose file had gone: this process, given that text, is not listed.
    const census = readTaskCensus(new Map([[process.pid, reaped.replace(/^Pid:.*$/m, `Pid:\t${process.pid}`)]]));
    expect(census.processes.some((entry) => entry.pid === process.pid)).toBe(false);
    expect(census.processes.length).toBeGreaterThan(0);
  });

  it('parseNamespaceLink', () => {
    expect(parseNamespaceLink('pid:[4026531836]')).toBe(4026531836);
    expect(parseNamespaceLink('net:[4026531840]')).toBeNull();
  });
});

describe('readTaskCensus', () => {
  it('lists this process with its threads; every thread id but the leader is in otherThreadNsPids', () => {
    const census = readTaskCensus();
    const self = census.processes.find((entry) => entry.pid === process.pid)!;
    expect(self.nsPids).toEqual([process.pid]);
    expect(self.namespaces).toEqual([]);
    const threadIds = readdirSync('/proc/self/task').map(Number).filter((id) => id !== process.pid).sort((a, b) => a - b);
    // Threads may come and go between the two reads; those that stayed are listed.
    const listed = self.otherThreadNsPids.map(([id]) => id!);
    expect(listed.filter((id) => threadIds.includes(id)).length).toBeGreaterThan(0);
    expect(self.comm).toBe(readFileSync('/proc/self/comm', 'utf8').trim());
  });

  it('uses a status text already read instead of reading it again', () => {
    const known = fixture('proc/namespace/parent-status').replace(/7117/g, String(process.pid));
    const census = readTaskCensus(new Map([[process.pid, known]]));
    expect(census.processes.find((entry) => entry.pid === process.pid)?.comm).toBe('perl');
  });

  it('a session whose leader has exited: no process has its pid, but its group and session still name it', async () => {
    // sh leads a new session, starts sleep in it, and exits: alloc_pid() may not hand sh's number out again.
    const shell = spawn('sh', ['-c', 'sleep 30 & echo $!'], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    const [data] = (await once(shell.stdout!, 'data')) as [Buffer];
    const sleeperPid = Number(String(data));
    await once(shell, 'exit');
    try {
      const leader = shell.pid!;
      const census = readTaskCensus();
      expect(census.processes.some((entry) => entry.pid === leader)).toBe(false);
      expect(census.processes.find((entry) => entry.pid === sleeperPid)).toMatchObject({ nsProcessGroups: [leader], nsSessions: [leader] });
    } finally {
      process.kill(sleeperPid, 'SIGKILL');
    }
  });
});
