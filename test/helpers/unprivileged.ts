// Tests that drop to nobody run the built library as nobody. In a checkout nobody cannot read (root's
// home is 0700), they get a copy of what they run in a world-readable temporary directory instead.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type Gate, requireRoot, skipBecause } from './requirements';

const repoRoot = path.resolve(__dirname, '../..');

/** setpriv's arguments that drop to nobody with no groups and no capabilities (prefix a command with them). */
export const AS_NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'];

/** What nobody may use: the repository (or its copy) and the node to run it with. */
export interface NobodyView {
  /** Root of a tree laid out like the repository: dist/, the addon, package.json, node_modules/ of the runtime. */
  readonly root: string;
  readonly distEntry: string;
  readonly cliPath: string;
  /** A repository-relative path inside `root` (e.g. 'test/canfork/holder.cjs'). */
  file(relative: string): string;
}

function nobodyCan(test: '-r' | '-x', file: string): boolean {
  return spawnSync(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), 'test', test, file], { stdio: 'ignore' }).status === 0;
}

// What a process of nobody loads: the build, the addon the loader finds, the runtime dependencies and
// the scripts the tests hand it.
const COPIED = ['package.json', 'dist', 'build/Release/canfork.node', 'build-cmake/Release/canfork.node', 'prebuilds',
  'node_modules/bindings', 'node_modules/file-uri-to-path', 'test/canfork/holder.cjs', 'test/helpers/merged-mapping.cjs'];

let view: NobodyView | undefined;

function viewAt(root: string): NobodyView {
  return {
    root,
    distEntry: path.join(root, 'dist', 'index.js'),
    cliPath: path.join(root, 'dist', 'cli', 'main.js'),
    file: (relative) => path.join(root, relative),
  };
}

/**
 * The repository as nobody sees it: itself when nobody can read it, else a readable copy (made once per
 * process). An addon named by CANFORK_ADDON_PATH that nobody cannot read is copied too, and the variable
 * (which the children of this process inherit) points at the copy.
 */
export function nobodyView(): NobodyView {
  if (view) return view;
  const override = process.env.CANFORK_ADDON_PATH;
  const readable = nobodyCan('-r', path.join(repoRoot, 'dist', 'index.js'));
  if (readable && (!override || nobodyCan('-r', override))) return (view = viewAt(repoRoot));
  // Under the run's scratch directory, which the global setup removes at the end: vitest may end a worker
  // without its 'exit' event, and copies left behind piled up in /tmp, one per worker and run.
  const copy = mkdtempSync(path.join(process.env.CANFORK_TEST_SCRATCH ?? tmpdir(), 'canfork-nobody-'));
  chmodSync(copy, 0o755);
  process.once('exit', () => rmSync(copy, { recursive: true, force: true }));
  if (override && !nobodyCan('-r', override)) {
    const addon = path.join(copy, 'addon', path.basename(override));
    mkdirSync(path.dirname(addon), { mode: 0o755 });
    cpSync(override, addon);
    process.env.CANFORK_ADDON_PATH = addon;
  }
  if (readable) return (view = viewAt(repoRoot));
  for (const relative of COPIED) {
    const from = path.join(repoRoot, relative);
    if (existsSync(from)) cpSync(from, path.join(copy, relative), { recursive: true, dereference: true });
  }
  return (view = viewAt(copy));
}

/**
 * Root (to drop privileges), and a node binary nobody may execute: a node under a directory only root
 * can enter cannot run as nobody, and copying the runtime is not this test's business.
 */
export function requireNobody(why: string): Gate {
  const root = requireRoot(`drops to nobody with setpriv: ${why}`);
  if (root.skip) return root;
  if (!nobodyCan('-x', process.execPath)) return skipBecause(`nobody cannot execute ${process.execPath} (a parent directory is not searchable): ${why}`);
  nobodyView(); // before any child starts: it may move CANFORK_ADDON_PATH to a readable copy
  return root;
}
