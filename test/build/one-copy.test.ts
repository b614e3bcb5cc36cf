// One copy of the library under test: an import of src/ in a test is the dist/ build that subprocess
// tests run (vitest.config.mts resolves it there; test/helpers/global-setup.ts builds it before the run).
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as library from '../../src/index';
import { ProcfsParseError } from '../../src/procfs/parse-error';

const root = path.resolve(__dirname, '../..');
const requireFromHere = createRequire(__filename);

describe('the library under test', () => {
  it('is dist/, the same module instances a require of dist/ gets', () => {
    const dist = requireFromHere(path.join(root, 'dist', 'index.js')) as typeof library;
    expect(library.canFork).toBe(dist.canFork);
    expect(library.spawn).toBe(dist.spawn);
    const distError = requireFromHere(path.join(root, 'dist', 'procfs', 'parse-error.js')) as { ProcfsParseError: unknown };
    expect(ProcfsParseError).toBe(distError.ProcfsParseError);
  });

  it('dist/ is not older than src/ (built before the run)', async () => {
    const { statSync, readdirSync } = await import('node:fs');
    const newest = (directory: string, extension: string): number => Math.max(0, ...readdirSync(directory, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith(extension))
      .map((entry) => statSync(path.join(entry.parentPath, entry.name)).mtimeMs));
    expect(newest(path.join(root, 'dist'), '.js')).toBeGreaterThanOrEqual(newest(path.join(root, 'src'), '.ts') - 1);
  });
});
