// The table of known failures in docs/node-compat.md is data for scripts/node-compat.mjs: each row must parse
// into a test file name, the Node majors it fails on and a reason, or the harness would not see it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './register-path';

const docs = readFileSync(join(repoRoot, 'docs', 'node-compat.md'), 'utf8');

describe('docs/node-compat.md as the harness reads it', () => {
  it('every row of "Tests that fail under register" parses, with majors the harness runs and a reason', async () => {
    const { knownFailures } = (await import(join(repoRoot, 'scripts', 'node-compat.mjs'))) as {
      knownFailures(markdown: string): Map<string, Set<number>>;
    };
    const section = docs.split(/^## /m).find((part) => part.startsWith('Tests that fail under register'))!;
    const rows = section.split('\n').filter((line) => /^\| `/.test(line));
    const known = knownFailures(docs);
    expect(known.size).toBe(rows.length);
    for (const row of rows) {
      const [, test, majors, reason] = row.split('|').map((cell) => cell.trim());
      expect(known.get(test!.replaceAll('`', ''))).toEqual(new Set(majors!.split(/,\s*/).map(Number)));
      for (const major of known.get(test!.replaceAll('`', ''))!) expect([20, 24, 26]).toContain(major);
      expect(reason!.length).toBeGreaterThan(20);
    }
  });

  it('a failure not in the table is not known', async () => {
    const { knownFailures } = (await import(join(repoRoot, 'scripts', 'node-compat.mjs'))) as {
      knownFailures(markdown: string): Map<string, Set<number>>;
    };
    expect(knownFailures('## Tests that fail under register\n\n| Test | Node | Reason |\n|---|---|---|\n').size).toBe(0);
    expect(knownFailures('| `test-child-process-x.js` | 20 | outside the section |\n').size).toBe(0);
  });
});
