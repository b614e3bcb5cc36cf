// Which commit a bench result measured, for the results files of bench/run.mjs and bench/spawn-sched.mjs.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

/** The commit measured, and whether src/ or native/ had uncommitted changes (a shared tree may); null outside git. */
function sourceVersion() {
  try {
    const git = (...args) => execFileSync('git', args, { cwd: path.resolve(__dirname, '..', '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { commit: git('rev-parse', '--short', 'HEAD'), uncommittedSources: git('status', '--porcelain', '--', 'src', 'native') !== '' };
  } catch {
    return null; // not a git checkout (an npm tarball): nothing to record
  }
}

module.exports = { sourceVersion };
