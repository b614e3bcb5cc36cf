// A newcomer's first hour, for real: clone the repository into a temporary directory and run the README's
// two commands (Quick start) exactly as written, with a fresh HOME and none of this run's npm or canfork
// settings:
// - as root, from a clone inside a 0700 directory (tests that drop to nobody must cope with it);
// - as nobody (writable HOME), where nothing can be installed: the run passes and ends with its skip summary.
// Long (two full installs and test runs): `npm run test:clone`, its own CI step.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allOf, requireRoot, requireTool } from '../helpers/requirements';

const repoRoot = path.resolve(__dirname, '../..');
const gate = allOf(requireRoot('runs the README as root and as nobody'), requireTool('git', 'git'), requireTool('setpriv', 'util-linux'));

/** The shell commands of the README's Quick start, in order (each ```sh block, one command per line). */
export function readmeCommands(readme: string): string[] {
  const start = readme.indexOf('## Quick start');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((block) => block[1]!.split('\n').map((line) => line.trim()).filter(Boolean));
}

/** This process's environment without what a newcomer's shell would not have: npm's, vitest's and canfork's variables. */
function newcomerEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|NPM_|CANFORK_|VITEST|NODE_|INIT_CWD$|TEST$|MODE$)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, HOME: home, CI: '', NO_COLOR: '1', CANFORK_WATCH_IGNORE: process.env.CANFORK_WATCH_IGNORE ?? '' };
}

const work = mkdtempSync(path.join(tmpdir(), 'canfork-clone-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Run { command: string; status: number | null; output: string }

/** Runs each command with sh in `cwd`, optionally through a launcher (setpriv), logging to a file; stops at the first failure. */
function runCommands(commands: string[], cwd: string, env: NodeJS.ProcessEnv, log: string, launcher: string[] = []): Run[] {
  const runs: Run[] = [];
  for (const command of commands) {
    const [program, ...args] = [...launcher, 'sh', '-c', `${command} 2>&1`];
    const result = spawnSync(program!, args, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
    writeFileSync(log, `$ ${command}\n${output}\n[exit ${result.status}]\n`, { flag: 'a' });
    runs.push({ command, status: result.status, output });
    if (result.status !== 0 && !acceptable({ command, status: result.status, output })) break;
  }
  return runs;
}

/**
 * `npm start` is the machine-wide report: exit 1 means some process on the machine cannot fork (a true
 * answer, listed first), not that the command failed.
 */
function acceptable(run: Run): boolean {
  if (run.status === 0) return true;
  return run.status === 1 && /npm start/.test(run.command) && /overcommit/i.test(run.output) && !/npm error/.test(run.output);
}

function expectAllPassed(runs: Run[], commands: string[], log: string): void {
  const failed = runs.find((run) => !acceptable(run));
  expect(failed, failed && `${failed.command} exited ${failed.status}:\n${failed.output.slice(-6000)}\n(full log: ${log})`).toBeUndefined();
  expect(runs.map((run) => run.command)).toEqual(commands);
}

function cloneInto(directory: string): string {
  const clone = path.join(directory, 'canfork');
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', repoRoot, clone]);
  return clone;
}

describe.skipIf(gate.skip)('the README\'s commands on a fresh clone', () => {
  const commands = readmeCommands(readFileSync(path.join(repoRoot, 'README.md'), 'utf8'));

  it('the README has the two commands: the main job and the tests', () => {
    expect(commands).toEqual(['npm ci && npm start', 'npm ci && npm test']);
  });

  it('as root, from a clone inside a 0700 directory, with a fresh HOME', () => {
    const closed = path.join(work, 'closed');
    mkdirSync(closed, { mode: 0o700 });
    chmodSync(closed, 0o700);
    const clone = cloneInto(closed);
    const home = path.join(closed, 'home');
    mkdirSync(home);
    const log = path.join(work, 'root.log');
    const runs = runCommands(commands, clone, newcomerEnv(home), log);
    expectAllPassed(runs, commands, log);
    const test = runs.at(-1)!.output;
    expect(test).toContain('test: passed');
    expect(test).toMatch(/skipped(: nothing| \(\d+\), and why:)/);
    // Root had what it needed: the only skips are the host-state tests left to CANFORK_SYSTEM_TESTS=1
    // (and the prebuilds, which a checkout does not build before `npm run prebuild`).
    const skips = test.slice(test.lastIndexOf('\nskipped')).split('\n').filter((line) => line.startsWith('  - '));
    expect(skips.filter((line) => !/CANFORK_SYSTEM_TESTS=1|vm\.overcommit_memory is|is not built here \(npm run prebuild\)/.test(line))).toEqual([]);
  }, 3_600_000);

  it('as nobody, with a writable HOME: passes, and ends with what it skipped and why', () => {
    const open = path.join(work, 'open');
    mkdirSync(open);
    chmodSync(open, 0o755);
    chmodSync(work, 0o755);
    const clone = cloneInto(open);
    const home = path.join(open, 'home');
    mkdirSync(home);
    const ids = execFileSync('sh', ['-c', 'id -u nobody; getent group nogroup | cut -d: -f3'], { encoding: 'utf8' }).trim().split('\n').map(Number);
    execFileSync('chown', ['-R', `${ids[0]}:${ids[1]}`, clone, home]);
    chownSync(open, ids[0]!, ids[1]!);
    const log = path.join(work, 'nobody.log');
    // nobody's PATH holds no directory of root's (a root-only PATH entry turns ENOENT into EACCES for execvp).
    const env = newcomerEnv(home);
    // setpriv keeps root's SHELL; nobody's own is nologin (as on CI, whose environment has no SHELL).
    delete env.SHELL;
    env.PATH = (env.PATH ?? '').split(':').filter((entry) => entry && spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'test', '-x', entry]).status === 0).join(':');
    const runs = runCommands(commands, clone, env, log, ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups']);
    expectAllPassed(runs, commands, log);
    const test = runs.at(-1)!.output;
    expect(test).toContain('test: passed');
    const summary = test.slice(test.lastIndexOf('\nskipped'));
    console.log(`nobody's skip summary:${summary}`);
    expect(summary).toMatch(/^\nskipped \(\d+\), and why:\n/);
    expect(summary).toContain('needs root');
  }, 3_600_000);
});
