// Real process trees for the supervision tests (and test/supervise/escape-table.cjs, which node runs as it
// is, hence CommonJS), and an independent look at them: pids come from the tree's own report (a file it
// writes), identity from /proc/PID/stat's start time, and cleanup kills exactly those.
'use strict';
const { mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { setTimeout } = require('node:timers');

function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Still the same process (pid and start time) and not a zombie. */
function alive(entry) {
  const fields = stat(entry.pid);
  return fields !== null && fields[19] === entry.startTime && fields[0] !== 'Z' && fields[0] !== 'X';
}

function track(name, pid) {
  const fields = stat(pid);
  return fields === null ? null : { name, pid, startTime: fields[19] };
}

/** SIGKILL to each tracked process that is still the same one. */
function killTracked(processes) {
  for (const entry of processes) {
    if (!alive(entry)) continue;
    try {
      process.kill(entry.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

async function waitUntil(condition, timeoutMs, stepMs = 20) {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
  return true;
}

/** The names of the processes of the six-process tree, in the order the script starts them. */
const SIX = ['background', 'setsid', 'setpgid', 'term-ignoring', 'double-forked', 'setsid-term-ignoring'];

/**
 * A shell that starts the six processes and then waits; each writes "name pid" to `report` once running.
 * The sleeps live 60 s; every test kills what is left of them by pid.
 */
function sixProcessScript(report) {
  const line = (name, pid) => `echo "${name} ${pid}" >> ${report}`;
  return [
    `sleep 60 & ${line('background', '$!')}`,
    // Not a group leader (no job control in sh -c), so setsid(1) calls setsid() itself and execs: $! is sleep.
    `setsid sleep 60 & ${line('setsid', '$!')}`,
    `perl -e 'setpgrp(0, 0); exec "sleep", "60"' & ${line('setpgid', '$!')}`,
    // An ignored signal stays ignored across exec: the sleep ignores SIGTERM too.
    `sh -c 'trap "" TERM; sleep 60 & ${line('term-ignoring', '$!')}; wait' &`,
    `sh -c 'sleep 60 & ${line('double-forked', '$!')}' &`,
    `setsid sh -c 'trap "" TERM; sleep 60 & ${line('setsid-term-ignoring', '$!')}; wait' &`,
    'wait',
  ].join('\n');
}

/** A temporary report file and a reader that resolves once all six have reported, tracked by start time. */
function sixProcessReport() {
  const directory = mkdtempSync(join(tmpdir(), 'canfork-six-'));
  const path = join(directory, 'pids');
  writeFileSync(path, '');
  const seen = new Map();
  const parse = () => {
    for (const text of readFileSync(path, 'utf8').split('\n')) {
      const [name, pid] = text.split(' ');
      if (name === undefined || pid === undefined || seen.has(name)) continue;
      const entry = track(name, Number(pid));
      if (entry !== null) seen.set(name, entry);
    }
  };
  return {
    path,
    read: async () => {
      await waitUntil(() => {
        parse();
        return seen.size === SIX.length;
      }, 10_000, 10);
      return [...seen.values()];
    },
    cleanup: () => {
      parse();
      killTracked([...seen.values()]);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

module.exports = { alive, track, killTracked, waitUntil, SIX, sixProcessScript, sixProcessReport };
