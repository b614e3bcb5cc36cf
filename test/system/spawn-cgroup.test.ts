// clone3 CLONE_INTO_CGROUP: a child planned with cgroupFd starts inside that cgroup v2 directory (no
// window in our own cgroup), and spawnSync's cgroupKillFd kills the whole cgroup on timeout, grandchildren
// that ignore the kill signal included. Creates /sys/fs/cgroup/unified/canfork-test-spawn-<pid> and
// removes it in finally: host state, opt-in (CANFORK_SYSTEM_TESTS=1), run under flock /tmp/canfork-host.lock.
import { closeSync, constants as fsConstants, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { native } from '../../src/binding';
import { allOf, requireHost, requireRoot, requireSystemTests } from '../helpers/requirements';
import { plan, runSync } from '../native/plan';
import { removeCgroup } from '../helpers/cgroups';

const UNIFIED = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find((dir) => existsSync(`${dir}/cgroup.procs`) && existsSync(`${dir}/cgroup.subtree_control`));
const gate = allOf(
  requireSystemTests('creates a cgroup v2 directory'),
  requireRoot('creates a cgroup'),
  requireHost(UNIFIED !== undefined, 'no cgroup v2 hierarchy'),
);


describe.skipIf(gate.skip)(`spawn into a cgroup (${gate.reason || 'cgroup v2 at ' + UNIFIED})`, () => {
  it('the child is in the cgroup from its first instruction (/proc/self/cgroup), and cgroup.kill ends it all', async () => {
    const name = `canfork-test-spawn-${process.pid}`;
    const directory = `${UNIFIED}/${name}`;
    mkdirSync(directory);
    const cgroupFd = openSync(directory, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
    const killFd = openSync(`${directory}/cgroup.kill`, 'w');
    try {
      const inside = runSync(['/bin/cat', '/proc/self/cgroup'], { cgroupFd });
      expect(inside.stdout.split('\n')).toContain(`0::/${name}`);
      expect(readFileSync('/proc/self/cgroup', 'utf8')).not.toContain(name);

      // A shell ignoring SIGTERM with a grandchild ignoring it too: only cgroup.kill ends both.
      const killed = runSync(['/bin/sh', '-c', 'trap "" TERM; sh -c \'trap "" TERM; sleep 30\' & wait'], { cgroupFd },
        { timeoutMs: 200, killSignal: osConstants.signals.SIGTERM, cgroupKillFd: killFd });
      expect(killed.status).toEqual([native.constants.WAIT_SIGNALED, osConstants.signals.SIGKILL, false]);
      expect(killed.error).toBe(-osConstants.errno.ETIMEDOUT);
      while (readFileSync(`${directory}/cgroup.procs`, 'utf8') !== '') await new Promise((resolve) => setTimeout(resolve, 10));

      // The kernel refuses an fd that is not a cgroup directory: a negative errno, nothing started.
      expect(native.spawn(plan(['/bin/true'], { cgroupFd: killFd }), new Int32Array(4))).toBeLessThan(0);
    } finally {
      closeSync(killFd);
      closeSync(cgroupFd);
      await removeCgroup(directory);
    }
  });
});
