// The init of a fresh pid namespace (started by unshare --pid --fork --mount-proc): sets the namespace's own
// kernel.pid_max, starts test/system/zombie-parent.pl, and answers one JSON request a line on stdin. It uses only
// synchronous calls once the namespace is full: libuv's thread pool would need pids it cannot get.
'use strict';
const { spawn } = require('node:child_process');
const { readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const canfork = require(process.env.CANFORK_DIST_ENTRY);

writeFileSync('/proc/sys/kernel/pid_max', process.env.NAMESPACE_PID_MAX);
const parent = spawn('perl', [path.join(__dirname, 'zombie-parent.pl')], { stdio: ['pipe', 'pipe', 'inherit'] });
const parentLines = readline.createInterface({ input: parent.stdout });
const replies = [];
parentLines.on('line', (line) => replies.shift()?.(line));
const fromParent = () => new Promise((resolve) => replies.push(resolve));
const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

const operations = {
  // Forwarded to the zombie parent: 'fork', 'reap', 'exit'.
  async parent({ line }) {
    const reply = fromParent();
    parent.stdin.write(`${line}\n`);
    return reply;
  },
  canFork({ options }) {
    return JSON.parse(JSON.stringify(canfork.canFork(options), (key, value) => (typeof value === 'bigint' ? String(value) : value === Infinity ? 'Infinity' : value)));
  },
  pidMax() {
    return Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  },
};

fromParent().then((made) => {
  send({ ready: true, made, parentPid: parent.pid });
  readline.createInterface({ input: process.stdin }).on('line', async (line) => {
    const { id, op, ...args } = JSON.parse(line);
    try {
      send({ id, result: await operations[op](args) });
    } catch (error) {
      send({ id, error: { message: error.message, code: error.code } });
    }
  });
});
