// Pre-flight before child_process: ask canFork() about this process first, and when a fork would
// fail, start the program with canfork's spawnSync (vfork+exec: nothing copied, nothing charged).
'use strict';
const childProcess = require('node:child_process');
const { canFork, spawnSync } = require('canfork');

/** Runs `command` like child_process.spawnSync, without fork when a fork would fail. */
function runChecked(command, args) {
  const report = canFork();
  if (report.ok) return childProcess.spawnSync(command, args, { encoding: 'utf8' });
  for (const reason of report.reasons) {
    console.error(`canfork: fork would fail with ${reason.code}: ${reason.message}`);
  }
  return spawnSync(command, args, { encoding: 'utf8' });
}

module.exports = { runChecked };

if (require.main === module) {
  const result = runChecked('uname', ['-sr']);
  process.stdout.write(result.stdout);
}
