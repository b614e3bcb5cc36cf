// Re-measures the table of docs/supervision.md: the six-process tree under each way of supervising it,
// and which of the six are still running 1.5 s after the kill. Real processes; every survivor is killed
// by pid at the end of its row. Rows with cgroup: true create cgroups: run as root, under the host lock:
//   npm run build:ts && flock /tmp/canfork-host.lock node test/supervise/escape-table.cjs
'use strict';
const { spawn: nodeSpawn } = require('node:child_process');
const { once } = require('node:events');
const { setTimeout: sleep } = require('node:timers/promises');
const canfork = require('../../dist/index.js');
const { SIX, alive, sixProcessReport, sixProcessScript } = require('./tree.cjs');

// Runs one row: `run(script, read)` starts the tree and does the kill; prints the names still running 1.5 s later.
async function row(label, run) {
  const report = sixProcessReport();
  try {
    const seen = await run(sixProcessScript(report.path), report.read);
    await sleep(1500);
    const left = SIX.filter((name) => seen.some((entry) => entry.name === name && alive(entry)));
    console.log(`| ${label} | ${left.length === 0 ? 'none' : left.join(', ')} |`);
  } catch (error) {
    console.log(`| ${label} | (not run: ${error.code ?? ''} ${error.message.split('\n')[0]}) |`);
  } finally {
    report.cleanup();
  }
}

async function asyncRow(label, options, afterExit) {
  await row(label, async (text, read) => {
    const child = canfork.spawn('sh', ['-c', text], { stdio: 'ignore', ...options });
    const exited = once(child, 'exit');
    const seen = await read();
    await exited;
    if (afterExit) afterExit(child);
    return seen;
  });
}

async function syncRow(label, options) {
  await row(label, async (text, read) => {
    const code = `require(${JSON.stringify(require.resolve('../../dist/index.js'))}).spawnSync('sh', ['-c', ${JSON.stringify(text)}], ${JSON.stringify({ stdio: 'ignore', ...options })})`;
    const runner = nodeSpawn(process.execPath, ['-e', code], { stdio: 'inherit' });
    const seen = await read();
    await once(runner, 'exit');
    return seen;
  });
}

(async () => {
  console.log('| supervision | left running 1.5 s after the kill |');
  console.log('|---|---|');
  await asyncRow('no group, `timeout: 1000`', { timeout: 1000 });
  await asyncRow('`detached: true, timeout: 1000`', { detached: true, timeout: 1000 });
  await asyncRow('`processGroup: true, timeout: 1000`', { processGroup: true, timeout: 1000 });
  await asyncRow("the same with `killSignal: 'SIGKILL'`", { processGroup: true, timeout: 1000, killSignal: 'SIGKILL' });
  await asyncRow('`processGroup: true, timeout: 1000, forceKillAfterDelay: 500`', { processGroup: true, timeout: 1000, forceKillAfterDelay: 500 });
  await row("`processGroup: true`, the leader exits at once, then `kill('SIGKILL')`", async (text, read) => {
    const child = canfork.spawn('sh', ['-c', text.replace(/\nwait$/, '')], { stdio: 'ignore', processGroup: true });
    const exited = once(child, 'exit');
    const seen = await read();
    await exited;
    if (child.kill('SIGKILL') !== true) console.log('  (kill returned false)');
    return seen;
  });
  await syncRow('`spawnSync`, `processGroup: true, timeout: 1000`', { processGroup: true, timeout: 1000 });
  await syncRow('`spawnSync`, `processGroup: true, timeout: 1000, forceKillAfterDelay: 500`', { processGroup: true, timeout: 1000, forceKillAfterDelay: 500 });
  await asyncRow('`cgroup: true, timeout: 1000`', { cgroup: true, timeout: 1000 });
  await syncRow('`spawnSync`, `cgroup: true, timeout: 1000`', { cgroup: true, timeout: 1000 });
  await row("`canfork.killTree(pid, 'SIGKILL')` on a child_process child after 0.2 s", async (text, read) => {
    const child = nodeSpawn('sh', ['-c', text], { stdio: 'ignore' });
    const seen = await read();
    canfork.killTree(child.pid, 'SIGKILL');
    await once(child, 'exit');
    return seen;
  });
})();
