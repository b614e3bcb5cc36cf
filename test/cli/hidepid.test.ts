// Permissions said right: a private /proc mounted with hidepid=2 in its own mount namespace (unshare -m; the
// machine's /proc is not touched), the command run as nobody. Root's processes exist but are hidden: EACCES,
// never "no process (ESRCH)"; a pid that does not exist is still ESRCH; --serve checks its pids at start.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { allOf, requireTool, skipBecause } from '../helpers/requirements';
import { AS_NOBODY, nobodyView, requireNobody } from '../helpers/unprivileged';

const tools = allOf(requireTool('unshare', 'util-linux'), requireTool('setpriv', 'util-linux'));
const nobody = tools.skip ? tools : requireNobody('hidepid=2 hides root\'s processes from nobody');
// The namespace and the mount may be refused (a container without CAP_SYS_ADMIN): then say so and skip.
const probe = nobody.skip
  ? null
  : spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t proc -o hidepid=2 proc /proc'], { encoding: 'utf8' });
const gate = probe === null || probe.status === 0 ? nobody : skipBecause(`cannot mount a private /proc: ${probe.stderr.trim()}`);

/** Runs the command as nobody under a private /proc with hidepid=2; each argument is quoted for sh. */
function asNobodyWithHidepid(args: string[]): { status: number | null; stdout: string; stderr: string } {
  // The CLI as nobody can read it: the checkout, or a copy when a directory above it is closed to others.
  const quoted = [...AS_NOBODY, process.execPath, nobodyView().cliPath, ...args].map((arg) => `'${arg.replace(/'/g, "'\\''")}'`).join(' ');
  const result = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c',
    `mount -t proc -o hidepid=2 proc /proc && exec ${quoted}`,
  ], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.skipIf(gate.skip)('hidepid=2, as nobody', () => {
  it('a root process that exists is hidden (EACCES), not missing (ESRCH): exit 2', () => {
    // This test process runs as root: it exists, and nobody cannot see it.
    const text = asNobodyWithHidepid([String(process.pid)]);
    expect(text.status).toBe(2);
    expect(text.stderr).toBe(`canfork: cannot read process ${process.pid}: process ${process.pid} exists but /proc/${process.pid} is hidden from this user (hidepid, or another pid namespace)\n`);
    expect(text.stderr).not.toContain('ESRCH');
    expect(text.stdout).toContain(`PID ${process.pid}: unknown, cannot read it (EACCES)`);
    const json = asNobodyWithHidepid(['--json', String(process.pid)]);
    const document = JSON.parse(json.stdout);
    expect(document.missing).toEqual([]);
    expect(document.processes[0]).toMatchObject({ pid: process.pid, verdict: 'unknown', error: { code: 'EACCES' } });
  });

  it('a pid that does not exist is still ESRCH', () => {
    const result = asNobodyWithHidepid(['4194303']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('canfork: no process 4194303 (ESRCH)\n');
  });

  it('the summary lists only what it can see, and says that /proc hides the rest', () => {
    const result = asNobodyWithHidepid([]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/\(\/proc is mounted hidepid=(2|invisible): other users' processes are hidden\)/);
    expect(result.stdout).not.toMatch(new RegExp(`^ +${process.pid} `, 'm'));
  });

  it('--serve PID checks the pid at start: hidden is exit 2 with EACCES', () => {
    const result = asNobodyWithHidepid(['--serve', '0', String(process.pid)]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`process ${process.pid} exists but /proc/${process.pid} is hidden`);
  });
});
