// The README's pre-flight example (docs/examples/preflight.cjs) in a process whose fork really fails:
// a node child holding one merged accountable VMA over RAM + swap (overcommit mode 0, ~RAM of commit
// charge for a moment, never touched). child_process fails with ENOMEM; the example still runs the program.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { meminfoBytes, overcommitMode } from '../helpers/proc';
import { requireHost } from '../helpers/requirements';
import { repoRoot } from '../cli/processes';

const mode0 = requireHost(overcommitMode() === 0, `vm.overcommit_memory is ${overcommitMode()}, the merged-VMA ENOMEM needs mode 0`);

const childSource = `
const childProcess = require('node:child_process');
const { mmap } = require('canfork');
const { runChecked } = require(${JSON.stringify(path.join(repoRoot, 'docs', 'examples', 'preflight.cjs'))});
const limit = Number(process.argv[1]);
const { mapMergedPast } = require(${JSON.stringify(path.join(repoRoot, 'test', 'helpers', 'merged-mapping.cjs'))});
globalThis.kept = mapMergedPast(mmap, limit, 128 * 2 ** 20).mappings;
const plain = childProcess.spawnSync('echo', ['plain'], { encoding: 'utf8' });
const checked = runChecked('echo', ['checked']);
process.stdout.write(JSON.stringify({ plainError: plain.error?.code ?? null, checked: checked.stdout, status: checked.status }));
`;

describe.skipIf(mode0.skip)('pre-flight before child_process (README example)', () => {
  it('where child_process.spawnSync fails with ENOMEM, runChecked() says why and still runs the program', () => {
    const limit = meminfoBytes('MemTotal') + meminfoBytes('SwapTotal');
    // cwd is the package root, so require('canfork') resolves to this package (self-reference via "exports").
    const result = spawnSync(process.execPath, ['-e', childSource, String(limit)], { cwd: repoRoot, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ plainError: 'ENOMEM', checked: 'checked\n', status: 0 });
    expect(result.stderr).toMatch(/^canfork: fork would fail with ENOMEM: VMA [0-9a-f]+-[0-9a-f]+ \(anonymous\)/);
  });
});
