// The canfork command names the parent that holds the zombies first, with its count: in a full pid namespace
// (pid_max 320, its own), and in a plain one (a parent with 500 zombies under RLIMIT_NPROC, uid nobody). Neither
// changes host state: the namespace is its own, and the limit is the parent's.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { namespaceSkipReason, useNamespaces, zombieChildrenOf } from './pid-namespace';

const cli = path.resolve(__dirname, '../../dist/cli/main.js');
const skip = namespaceSkipReason();
if (skip) console.log(`skipping: ${skip}`);
const startNamespace = useNamespaces();

function runCli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Tasks (threads) whose real uid is `uid`, from /proc/PID/status. */
function tasksOfUid(uid: number): number {
  let tasks = 0;
  for (const name of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      if (new RegExp(`^Uid:\t${uid}\t`, 'm').test(status)) tasks += Number(/^Threads:\t(\d+)$/m.exec(status)?.[1] ?? 0);
    } catch {
      // exited meanwhile
    }
  }
  return tasks;
}

function firstStep(detail: string): string {
  const lines = detail.split('\n');
  const at = lines.indexOf('What to do');
  return lines[at + 1]?.trim() ?? '';
}

describe.skipIf(skip !== '')(`the CLI names who holds the zombies${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('in a full pid namespace: the perl parent first, with its zombie count, with and without --trial', async () => {
    const ns = await startNamespace(320);
    const zombies = zombieChildrenOf(ns.parentPid);
    const plain = runCli(String(ns.parentPid));
    expect(plain.status).toBe(2); // unknown: that namespace's pid_max is not readable from here
    expect(plain.stderr).toContain(`cannot decide for process ${ns.parentPid}: pid namespace pid:[${ns.namespace}]`);
    expect(firstStep(plain.stdout)).toBe(`1. Reap or restart PID ${ns.parentPid} (perl), which holds ${zombies} zombies.`);
    expect(plain.stdout).toContain(`zombies         ${zombies} in pid:[${ns.namespace}]; PID ${ns.parentPid} (perl) holds ${zombies}`);

    const tried = runCli('--trial', String(ns.parentPid));
    expect(tried.status).toBe(1);
    expect(tried.stdout).toContain('CANNOT FORK, a fork now fails with EAGAIN');
    expect(tried.stdout).toContain('task trial      refused by the kernel (EAGAIN)');
    expect(firstStep(tried.stdout)).toBe(`1. Reap or restart PID ${ns.parentPid} (perl), which holds ${zombies} zombies.`);

    const metrics = runCli('--prometheus').stdout;
    expect(metrics).toContain(`canfork_zombies{parent="${ns.parentPid}",comm="perl"} ${zombies}`);
    expect(metrics).toMatch(/^canfork_oom_kills \d+$/m);
    expect(metrics).toMatch(/^canfork_memory_available_bytes \d+$/m);
    if (existsSync('/proc/pressure/memory')) expect(metrics).toMatch(/^canfork_memory_pressure_ratio\{kind="full"\} [\d.]+$/m);
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    if (promtool.error) console.log('promtool not found (Debian package prometheus): the exposition is not checked by it here');
    else expect(promtool.status, promtool.stdout + promtool.stderr).toBe(0);
  });

  it('a plain parent with 500 zombies near its RLIMIT_NPROC: named first, and in Prometheus', async () => {
    // Room for this parent's 500 zombies and about 40 more tasks of nobody, besides those it has now (other tests
    // on this machine may run as nobody too): near the limit, so the holders are named.
    const limit = tasksOfUid(65534) + 540;
    const parent = spawn('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'prlimit', `--nproc=${limit}:${limit}`,
      // The script's text, not its path: nobody may not read a checkout under a 0700 directory.
      'perl', '-e', readFileSync(path.join(__dirname, 'zombie-parent.pl'), 'utf8')], { env: { ...process.env, ZOMBIES: '500' }, stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: parent.stdout! })[Symbol.asyncIterator]();
    try {
      // 500, unless other tasks of nobody appeared meanwhile and its fork failed first (EAGAIN).
      const made = (await lines.next()).value as string;
      expect(made).toMatch(/^made \d+ (EAGAIN)?$/);
      const zombies = zombieChildrenOf(parent.pid!);
      expect(zombies).toBe(Number(made.split(' ')[1]));
      expect(zombies).toBeGreaterThan(400);
      const detail = runCli(String(parent.pid));
      expect(detail.stdout).toMatch(/can fork, but AT RISK|CANNOT FORK/);
      expect(firstStep(detail.stdout)).toBe(`1. Reap or restart PID ${parent.pid} (perl), which holds ${zombies} zombies.`);
      expect(runCli('--prometheus').stdout).toContain(`canfork_zombies{parent="${parent.pid}",comm="perl"} ${zombies}`);
    } finally {
      // Reaped by the parent itself, then it exits and is reaped here: nothing is left for init.
      parent.stdin!.write('reap\nexit\n');
      await once(parent, 'exit');
    }
    expect(zombieChildrenOf(parent.pid!)).toBe(0);
  });
});
