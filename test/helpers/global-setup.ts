// Runs once per vitest run, in the main process, before any test file:
// - builds dist/ when src/ is newer, so the library the tests import (src/ imports resolve to dist/,
//   see vitest.config.mts) is the one their subprocesses run, and never stale;
// - opens the skip log the requirement gates write to (unless the test command already did) and prints
//   its summary at the end;
// - makes the run's scratch directory (CANFORK_TEST_SCRATCH, searchable by nobody), which the test workers
//   inherit, and removes it with everything in it at the end;
// - without CANFORK_SYSTEM_TESTS=1, watches kernel.pid_max, kernel.threads-max, vm.overcommit_memory and
//   the cgroup tree for the whole run, and fails the run if anything touched them.
import { spawnSync } from 'node:child_process';
import {
  chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, utimesSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { watchHostState } from './host-watcher';

const root = path.resolve(__dirname, '../..');
const stamp = path.join(root, 'node_modules', '.cache', 'canfork', 'dist-built');

function newestSourceMtime(): number {
  let newest = 0;
  const visit = (entry: string): void => {
    const stat = statSync(entry);
    newest = Math.max(newest, stat.mtimeMs);
    if (stat.isDirectory()) for (const name of readdirSync(entry)) visit(path.join(entry, name));
  };
  for (const entry of ['src', 'tsconfig.json', 'tsconfig.build.json']) visit(path.join(root, entry));
  return newest;
}

/** A clean `tsc -p tsconfig.build.json` into dist/ unless dist/ is newer than every source. */
export function buildDistIfStale(): void {
  const stampMtime = existsSync(stamp) && existsSync(path.join(root, 'dist', 'index.js')) ? statSync(stamp).mtimeMs : -1;
  if (stampMtime >= newestSourceMtime()) return;
  const started = new Date();
  rmSync(path.join(root, 'dist'), { recursive: true, force: true });
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`building dist/ failed (tsc exit ${build.status ?? build.signal})`);
  mkdirSync(path.dirname(stamp), { recursive: true });
  closeSync(openSync(stamp, 'w'));
  // Stamped with the build's start: a source saved during the build is newer, so the next run rebuilds.
  utimesSync(stamp, started, started);
}

/** The end-of-run summary of the skip log: what was skipped and why, one line each. */
export function formatSkipSummary(log: string): string {
  const lines = [...new Set(log.split('\n').filter(Boolean))];
  if (lines.length === 0) return '\nskipped: nothing (every test that needs a tool or the host ran)';
  return `\nskipped (${lines.length}), and why:\n${lines.map((line) => `  - ${line}`).join('\n')}`;
}

export default function setup(): () => void {
  // CANFORK_DIST_FRESH=1: the caller has just built dist/ (scripts/test-portable.sh, whose emulated node
  // would take minutes to run tsc).
  if (process.env.CANFORK_DIST_FRESH !== '1') buildDistIfStale();

  let ownLog: string | undefined;
  if (!process.env.CANFORK_SKIP_LOG) {
    ownLog = mkdtempSync(path.join(tmpdir(), 'canfork-skips-'));
    process.env.CANFORK_SKIP_LOG = path.join(ownLog, 'skips.txt');
  }
  // The run's own, also in a run inside another run's test (test/clone): each removes what it made.
  const outerScratch = process.env.CANFORK_TEST_SCRATCH;
  const scratch = mkdtempSync(path.join(tmpdir(), 'canfork-test-run-'));
  chmodSync(scratch, 0o755);
  process.env.CANFORK_TEST_SCRATCH = scratch;
  const watcher = process.env.CANFORK_SYSTEM_TESTS === '1' ? undefined : watchHostState();

  return () => {
    rmSync(scratch, { recursive: true, force: true });
    if (outerScratch === undefined) delete process.env.CANFORK_TEST_SCRATCH;
    else process.env.CANFORK_TEST_SCRATCH = outerScratch;
    if (ownLog) {
      let lines = '';
      try {
        lines = readFileSync(path.join(ownLog, 'skips.txt'), 'utf8');
      } catch {
        // nothing skipped
      }
      console.log(formatSkipSummary(lines));
      rmSync(ownLog, { recursive: true, force: true });
      delete process.env.CANFORK_SKIP_LOG;
    }
    const changes = watcher?.stop() ?? [];
    if (changes.length > 0) {
      throw new Error(`host state changed during a run without CANFORK_SYSTEM_TESTS=1:\n  ${changes.join('\n  ')}`);
    }
  };
}
