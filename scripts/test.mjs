#!/usr/bin/env node
// `npm test`: the unit project, then the system project, then one summary of what was skipped and why.
// First it sets up the system tools the tests use: as root it installs the missing ones with apt-get;
// otherwise it says which are missing, and the tests that need them skip naming the tool and package.
//   CANFORK_SYSTEM_TESTS=1  also run the tests that change host state (sysctls, cgroups)
//   CANFORK_NO_SKIP=1       any skip fails the run (CI)
//   CANFORK_NO_INSTALL=1    never run apt-get
// Arguments are passed to vitest (e.g. a test file).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Each tool a test runs, and the Debian package that has it. */
export const TOOLS = [
  ['promtool', 'prometheus'],
  ['tmux', 'tmux'],
  ['valgrind', 'valgrind'],
  ['cmake', 'cmake'],
  ['make', 'make'],
  ['c++', 'g++'],
  ['cc', 'gcc'],
  ['python3', 'python3'],
  ['strace', 'strace'],
  ['unshare', 'util-linux'],
  ['setpriv', 'util-linux'],
];

const hasTool = (tool) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', tool], { stdio: 'ignore' }).status === 0;

function setUpTools() {
  const missing = TOOLS.filter(([tool]) => !hasTool(tool));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map(([, pkg]) => pkg))];
  const list = missing.map(([tool, pkg]) => `${tool} (${pkg})`).join(', ');
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || process.env.CANFORK_NO_INSTALL === '1' || !hasTool('apt-get')) {
    const why = !isRoot ? 'not root' : process.env.CANFORK_NO_INSTALL === '1' ? 'CANFORK_NO_INSTALL=1' : 'no apt-get';
    console.log(`test: missing ${list}; not installing (${why}): the tests that need them will skip`);
    return;
  }
  console.log(`test: installing ${packages.join(' ')} with apt-get (for ${list})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const install = update.status === 0
    ? spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: 'inherit', env })
    : update;
  if (install.status !== 0) console.log('test: apt-get failed; the tests that need the missing tools will skip');
}

function vitest(project, args) {
  const bin = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
  const extra = args.length > 0 ? ['--passWithNoTests', ...args] : [];
  return spawnSync(process.execPath, [bin, 'run', '--project', project, ...extra], { cwd: root, stdio: 'inherit' }).status ?? 1;
}

function summary(log) {
  const lines = [...new Set(log.split('\n').filter(Boolean))];
  if (lines.length === 0) return 'skipped: nothing (every test that needs a tool or the host ran)';
  return `skipped (${lines.length}), and why:\n${lines.map((line) => `  - ${line}`).join('\n')}`;
}

const args = process.argv.slice(2);
setUpTools();
const logDirectory = mkdtempSync(path.join(tmpdir(), 'canfork-skips-'));
const log = path.join(logDirectory, 'skips.txt');
process.env.CANFORK_SKIP_LOG = log;
let status = 0;
try {
  for (const project of ['unit', 'system']) {
    const code = vitest(project, args);
    if (status === 0) status = code;
  }
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    // nothing was skipped
  }
  console.log(`\n${summary(text)}`);
  if (process.env.CANFORK_SYSTEM_TESTS !== '1') console.log('host-state tests: skipped (set CANFORK_SYSTEM_TESTS=1 to run them; they change sysctls and cgroups)');
  console.log(status === 0 ? 'test: passed' : `test: FAILED (exit ${status})`);
} finally {
  rmSync(logDirectory, { recursive: true, force: true });
}
process.exit(status);
