// Re-measures the table of docs/supervision.md: the six-process tree under each way of supervising it,
// and which of the six are still running 1.5 s after the kill. Real processes; every survivor is killed
// by pid at the end of its row. Rows with cgroup: true create cgroups: run as root, under the host lock:
//   npm run build:ts && flock /tmp/canfork-host.lock node test/supervise/escape-table.cjs
'use strict';
const { spawn: nodeSpawn } = require('node:child_process');
const { once } = require('node:events');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');
const canfork = require('../../dist/index.js');

const SIX = ['background', 'setsid', 'setpgid', 'term-ignoring', 'double-forked', 'setsid-term-ignoring'];

function script(report) {
  const line = (name, pid) => `echo "${name} ${pid}" >> ${report}`;
  return [
    `sleep 60 & ${line('background', '$!')}`,
    `setsid sleep 60 & ${line('setsid', '$!')}`,
    `perl -e 'setpgrp(0, 0); exec "sleep", "60"' & ${line('setpgid', '$!')}`,
    `sh -c 'trap "" TERM; sleep 60 & ${line('term-ignoring', '$!')}; wait' &`,
    `sh -c 'sleep 60 & ${line('double-forked', '$!')}' &`,
    `setsid sh -c 'trap "" TERM; sleep 60 & ${line('setsid-term-ignoring', '$!')}; wait' &`,
    'wait',
  ].join('\n');
}


function startTime(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? null : fields[19];
  } catch {
    return null;
  }
}

async function tracked(report) {
  const seen = new Map();
  for (let i = 0; i < 500 && seen.size < SIX.length; i++) {
    for (const text of fs.readFileSync(report, 'utf8').split('\n')) {
      const [name, pid] = text.split(' ');
      if (name && pid && !seen.has(name)) {
        const start = startTime(Number(pid));
        if (start !== null) seen.set(name, { pid: Number(pid), start });
      }
    }
    await sleep(10);
  }
  return seen;
}

// Runs one row: `run(script)` starts the tree and does the kill; returns the names still running 1.5 s later.
async function row(label, run) {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'canfork-table-'));
  const report = path.join(directory, 'pids');
  fs.writeFileSync(report, '');
  let seen = new Map();
  try {
    seen = await run(script(report), () => tracked(report));
    await sleep(1500);
    const left = SIX.filter((name) => seen.has(name) && startTime(seen.get(name).pid) === seen.get(name).start);
    console.log(`| ${label} | ${left.length === 0 ? 'none' : left.join(', ')} |`);
  } catch (error) {
    console.log(`| ${label} | (not run: ${error.code ?? ''} ${error.message.split('\n')[0]}) |`);
  } finally {
    for (const { pid, start } of seen.values()) {
      if (startTime(pid) !== start) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    fs.rmSync(directory, { recursive: true, force: true });
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
