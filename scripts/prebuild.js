#!/usr/bin/env node
// `npm run prebuild` (and `npm pack`): prebuildify --napi --strip into prebuilds/<platform>-<arch>/, against
// the running Node's own headers (no download). On x64 it also cross-compiles prebuilds/linux-arm64 with
// Debian's aarch64 toolchain (g++-aarch64-linux-gnu) when it is installed, in a scratch copy so that
// build/ keeps this machine's binary; without the toolchain it says so and ships x64 alone.
// `--host-only` (or CANFORK_PREBUILD_HOST_ONLY=1) skips the cross build.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { offlineBuildEnv } = require('./nodedir');

const root = path.resolve(__dirname, '..');
const prebuildify = require.resolve('prebuildify/bin.js', { paths: [root] });
const hasTool = (tool) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', tool], { stdio: 'ignore' }).status === 0;

function run(cwd, args, env) {
  const result = spawnSync(process.execPath, [prebuildify, '--napi', '--strip', ...args], { cwd, stdio: 'inherit', env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run(root, [], offlineBuildEnv());
// prebuildify moves the binary out of build/Release; the compiled build stays where the loader and the
// build tests look for it.
const hostPrebuild = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'canfork.node');
const compiled = path.join(root, 'build', 'Release', 'canfork.node');
if (!fs.existsSync(compiled) && fs.existsSync(hostPrebuild)) fs.copyFileSync(hostPrebuild, compiled);

const cross = 'aarch64-linux-gnu';
if (process.argv.includes('--host-only') || process.env.CANFORK_PREBUILD_HOST_ONLY === '1' || process.platform !== 'linux' || process.arch !== 'x64') process.exit(0);
if (!hasTool(`${cross}-g++`)) {
  console.log(`prebuild: no linux-arm64 prebuild (needs ${cross}-g++: apt-get install g++-${cross})`);
  process.exit(0);
}
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'canfork-arm64-'));
try {
  for (const entry of ['package.json', 'binding.gyp', 'native', 'toolchain']) {
    fs.cpSync(path.join(root, entry), path.join(scratch, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(scratch, 'node_modules'));
  run(scratch, ['--arch', 'arm64', '--strip-bin', `${cross}-strip`], {
    ...offlineBuildEnv(), CC: `${cross}-gcc`, CXX: `${cross}-g++`, LINK: `${cross}-g++`, AR: `${cross}-ar`,
  });
  const target = path.join(root, 'prebuilds', 'linux-arm64');
  fs.mkdirSync(target, { recursive: true });
  fs.copyFileSync(path.join(scratch, 'prebuilds', 'linux-arm64', 'canfork.node'), path.join(target, 'canfork.node'));
  console.log('prebuild: prebuilds/linux-arm64/canfork.node (cross-compiled)');
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
