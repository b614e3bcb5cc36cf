// The peer runtimes the benchmark measures against: what is pinned, where `npm install --prefix` puts it,
// and which binary runs ($CANFORK_BENCH_BUN / $CANFORK_BENCH_DENO name other ones). bench/run.mjs installs them.
const { homedir } = require('node:os');
const path = require('node:path');

// Pinned so that runs compare: the versions issue #16 measured first.
const peerPackages = {
  bun: { spec: '@oven/bun-linux-x64@1.4.5', binary: 'node_modules/@oven/bun-linux-x64/bin/bun', env: 'CANFORK_BENCH_BUN' },
  deno: { spec: 'deno@2.9.6', binary: 'node_modules/@deno/linux-x64-glibc/deno', env: 'CANFORK_BENCH_DENO' },
};

/** ~/.cache/canfork/bench-peers (or under $XDG_CACHE_HOME). */
function peersDirectory() {
  return path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'canfork', 'bench-peers');
}

/** The binary of peer `name` ('bun' or 'deno'): the one its variable names, else the installed one. */
function peerBinary(name) {
  const pkg = peerPackages[name];
  return process.env[pkg.env] || path.join(peersDirectory(), pkg.binary);
}

module.exports = { peerBinary, peerPackages, peersDirectory };
