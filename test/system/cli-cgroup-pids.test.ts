// The canfork command against a real process in a cgroup v1 pids controller at its pids.max: a fork
// from it fails with EAGAIN. Creates /sys/fs/cgroup/pids/canfork-test-cli-<pid> and removes it in finally.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allOf, requireHost, requireRoot, requireSystemTests } from '../helpers/requirements';
import { runCanfork } from '../cli/processes';
import { removeCgroup } from '../helpers/cgroups';

const PIDS_ROOT = '/sys/fs/cgroup/pids';
const gate = allOf(
  requireSystemTests('creates a pids cgroup'),
  requireRoot('creates a pids cgroup'),
  requireHost(existsSync(`${PIDS_ROOT}/cgroup.procs`), `no cgroup v1 pids controller at ${PIDS_ROOT}`),
);


describe.skipIf(gate.skip)('canfork finds a process whose pids cgroup is full (EAGAIN)', () => {
  it('lists it as cannot fork with EAGAIN, names the cgroup path and how to raise pids.max, exits 1', async () => {
    const name = `canfork-test-cli-${process.pid}`;
    const directory = `${PIDS_ROOT}/${name}`;
    mkdirSync(directory);
    const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
    try {
      await once(sleeper, 'spawn');
      writeFileSync(`${directory}/cgroup.procs`, String(sleeper.pid));
      writeFileSync(`${directory}/pids.max`, '1');
      expect(readFileSync(`${directory}/pids.current`, 'utf8').trim()).toBe('1');

      const summary = runCanfork([]);
      expect(summary.status).toBe(1);
      const row = summary.stdout.split('\n').find((line) => new RegExp(`^ +${sleeper.pid} sleep `).test(line));
      expect(row, summary.stdout).toMatch(/ CANNOT .* 1\/1 EAGAIN cgroup$/);

      const detail = runCanfork([String(sleeper.pid)]);
      expect(detail.status).toBe(1);
      expect(detail.stdout).toContain(`PID ${sleeper.pid} (sleep): CANNOT FORK, a fork now fails with EAGAIN`);
      expect(detail.stdout.replace(/\s+/g, ' ')).toContain(`pids cgroup v1 /${name}: 1 of 1 (${directory})`);
      expect(detail.stdout).toContain(`echo 64 > ${directory}/pids.max`);

      const json = JSON.parse(runCanfork(['--json', String(sleeper.pid)]).stdout);
      expect(json.processes[0].report.reasons[0]).toMatchObject({ code: 'EAGAIN', cause: 'cgroup-pids' });
      expect(json.processes[0].report.tasks.cgroup.path).toBe(`/${name}`);

      const metrics = runCanfork(['--prometheus', String(sleeper.pid)]).stdout;
      expect(metrics).toContain(`canfork_process_can_fork{pid="${sleeper.pid}",comm="sleep"} 0`);
      expect(metrics).toContain(`canfork_process_tasks_limit{pid="${sleeper.pid}",comm="sleep",limit="cgroup-pids"} 1`);
    } finally {
      if (sleeper.exitCode === null && sleeper.signalCode === null) {
        const exited = once(sleeper, 'exit');
        process.kill(sleeper.pid!, 'SIGKILL');
        await exited;
      }
      await removeCgroup(directory);
    }
    expect(existsSync(directory)).toBe(false);
  });
});
