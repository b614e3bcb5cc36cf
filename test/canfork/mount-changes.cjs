// Runs in a private mount namespace of its own (unshare -m): canFork() before and after the cgroup hierarchy its
// answer names is unmounted there, against a fresh process's answer; and what the kept mountinfo descriptor's poll
// says along the way. Prints one JSON line.
'use strict';
const { execFileSync } = require('node:child_process');
const { closeSync, openSync, readFileSync } = require('node:fs');
const path = require('node:path');
const distEntry = process.env.CANFORK_DIST_ENTRY;
const canfork = require(distEntry);
const { native } = require(path.join(path.dirname(distEntry), 'binding.js'));
const { parseCgroupMounts } = require(path.join(path.dirname(distEntry), 'procfs', 'cgroup.js'));

const placement = () => {
  const { cgroup } = canfork.canFork().tasks;
  return cgroup === null ? null : { version: cgroup.version, path: cgroup.path };
};
/** The mount points of the hierarchy the answer names (src/procfs/cgroup.ts parses mountinfo): v1 pids, or cgroup2. */
function hierarchyMounts(version) {
  return parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'))
    .filter((mount) => (version === 1 ? mount.fsType === 'cgroup' && mount.superOptions.includes('pids') : mount.fsType === 'cgroup2'))
    .map((mount) => mount.mountPoint);
}

const polls = {};
const probe = openSync('/proc/self/mountinfo', 'r');
polls.afterOpen = native.mountsChanged(probe);
const before = placement();
const again = placement();
const unmounted = before === null ? [] : hierarchyMounts(before.version);
for (const mountPoint of unmounted) execFileSync('umount', ['-l', mountPoint]);
polls.afterUnmount = native.mountsChanged(probe);
polls.thenAgain = native.mountsChanged(probe);
closeSync(probe);
const after = placement();
// A process started now reads the namespace's table for the first time.
const fresh = JSON.parse(execFileSync(process.execPath, ['-e', `
  const { cgroup } = require(${JSON.stringify(distEntry)}).canFork().tasks;
  process.stdout.write(JSON.stringify(cgroup === null ? null : { version: cgroup.version, path: cgroup.path }));
`], { encoding: 'utf8' }));
process.stdout.write(`${JSON.stringify({ before, again, unmounted, after, fresh, polls })}\n`);
