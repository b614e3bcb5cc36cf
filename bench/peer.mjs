// The peers' own spawn, in one fresh Bun or Deno process per memory level (bench/run.mjs starts it):
//   bun bench/peer.mjs '{"rssBytes":N,"budgetMs":N,"rounds":N,"inFlight":N,"throughputMs":N,"warmUp":{...}}'
//   deno run -A bench/peer.mjs '{...}'
// Bun: Bun.spawn (await .exited) and Bun.spawnSync. Deno: new Deno.Command(...).spawn() (await .status)
// and .outputSync(). /bin/true with every stdio stream ignored, as the Node worker spawns it. The memory
// is touched (every byte written) and checked against VmRSS as in bench/worker.mjs. Prints one JSON
// object on stdout; times are in ms.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { untimedOnly, warmUp } from './lib/warm-up.mjs';

const GiB = 1024 ** 3;
const request = JSON.parse((globalThis.Bun ? process.argv[2] : globalThis.Deno.args[0]) ?? '{}');

/** The runtime's own spawn, async and sync, each returning what it needs to wait on. */
function peerSpawners() {
  if (globalThis.Bun) {
    const { Bun } = globalThis;
    const stdio = ['ignore', 'ignore', 'ignore'];
    return {
      runtime: 'bun',
      version: Bun.version,
      start: () => Bun.spawn(['/bin/true'], { stdio }),
      exited: async (child) => {
        const code = await child.exited;
        if (code !== 0) throw new Error(`/bin/true ended with ${code}`);
      },
      runSync: () => {
        const result = Bun.spawnSync(['/bin/true'], { stdio });
        if (result.exitCode !== 0) throw new Error(`/bin/true ended with ${result.exitCode}`);
      },
    };
  }
  if (globalThis.Deno) {
    const { Deno } = globalThis;
    const command = () => new Deno.Command('/bin/true', { stdin: 'null', stdout: 'null', stderr: 'null' });
    return {
      runtime: 'deno',
      version: Deno.version.deno,
      start: () => command().spawn(),
      exited: async (child) => {
        const status = await child.status;
        if (status.code !== 0) throw new Error(`/bin/true ended with ${status.code}`);
      },
      runSync: () => {
        const result = command().outputSync();
        if (result.code !== 0) throw new Error(`/bin/true ended with ${result.code}`);
      },
    };
  }
  throw new Error('bench/peer.mjs runs under Bun or Deno');
}

function residentBytes() {
  const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line.split(/\s+/)[1]) * 1024;
}

/** 1 GiB typed arrays with every byte written, so the memory is resident like the Node worker's Buffers. */
function touchResident(bytes) {
  const chunks = [];
  for (let left = bytes; left > 0; left -= GiB) chunks.push(new Uint8Array(Math.min(left, GiB)).fill(0x5a));
  return chunks;
}

async function asyncRound(peer, budgetMs, minRuns, into) {
  const roundStart = performance.now();
  for (let runs = 0; runs < minRuns || performance.now() - roundStart < budgetMs; runs++) {
    const start = performance.now();
    const child = peer.start();
    into.callMs.push(performance.now() - start);
    await peer.exited(child);
    into.latencyMs.push(performance.now() - start);
  }
}

function syncRound(peer, budgetMs, minRuns, into) {
  const roundStart = performance.now();
  for (let runs = 0; runs < minRuns || performance.now() - roundStart < budgetMs; runs++) {
    const start = performance.now();
    peer.runSync();
    into.latencyMs.push(performance.now() - start);
  }
}

/** `inFlight` spawn-to-exit chains at once for `durationMs`: completed spawns per second. */
async function throughput(peer, inFlight, durationMs) {
  let completed = 0;
  const start = performance.now();
  const chain = async () => {
    while (performance.now() - start < durationMs) {
      await peer.exited(peer.start());
      completed++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, chain));
  return completed / ((performance.now() - start) / 1000);
}

async function main() {
  const peer = peerSpawners();
  const held = touchResident(request.rssBytes);
  const result = { runtime: peer.runtime, version: peer.version, rssBytes: request.rssBytes, residentBytes: residentBytes() };
  const warmUpSettings = request.warmUp ?? untimedOnly;
  const spawn = { latencyMs: [], callMs: [], warmUp: await warmUp(() => peer.exited(peer.start()), warmUpSettings) };
  const spawnSync = { latencyMs: [], warmUp: await warmUp(peer.runSync, warmUpSettings) };
  const minRuns = 5;
  for (let round = 0; round < request.rounds; round++) {
    await asyncRound(peer, request.budgetMs / request.rounds, Math.ceil(minRuns / request.rounds), spawn);
    syncRound(peer, request.budgetMs / request.rounds, Math.ceil(minRuns / request.rounds), spawnSync);
  }
  result.spawn = spawn;
  result.spawnSync = spawnSync;
  result.throughputPerSecond = [];
  for (let round = 0; round < request.rounds; round++) {
    result.throughputPerSecond.push(await throughput(peer, request.inFlight, request.throughputMs / request.rounds));
  }
  result.residentBytesAfter = residentBytes();
  held.length = 0;
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
