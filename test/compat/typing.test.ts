// TypeScript users get Node's ChildProcess from canfork: tsc --noEmit --strict compiles a fixture that assigns
// canfork.spawn()'s result to ChildProcess and uses typed listeners, and rejects one that misuses a listener's
// argument (which would compile if anything were `any`). Both compile against the package's published types in a
// throwaway project whose node_modules/canfork is this checkout (build:ts first, as `npm test` does).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './register-path';

const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
let project = '';

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'canfork-typing-'));
  mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
  symlinkSync(repoRoot, join(project, 'node_modules', 'canfork'));
  symlinkSync(join(repoRoot, 'node_modules', '@types', 'node'), join(project, 'node_modules', '@types', 'node'));
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

function compile(fixture: string) {
  const file = join(project, fixture.replace(/\.txt$/, ''));
  copyFileSync(join(__dirname, 'typing', fixture), file);
  const run = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'node16',
    '--moduleResolution', 'node16', '--types', 'node', '--skipLibCheck', '--pretty', 'false', file], { cwd: project, encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('TypeScript types of the spawn functions (tsc --strict)', () => {
  it('canfork.spawn() is a ChildProcess with typed listeners', () => {
    const result = compile('typed-child-process.ts.txt');
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('a listener argument used as the wrong type does not compile', () => {
    const result = compile('untyped-listener.ts.txt');
    expect(result.status).not.toBe(0);
    // Exactly the one intended error (tsc adds indented detail lines below it): line 6, number | null to string.
    expect(result.output.split('\n').filter((line) => line.includes(': error TS'))).toEqual([
      expect.stringMatching(/untyped-listener\.ts\(6,9\): error TS2322: Type 'number \| null' is not assignable to type 'string'/),
    ]);
  });
});
