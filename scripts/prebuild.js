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

/** prebuildify in `cwd`: 0, or the exit status this script is to end with (128 + the signal that ended it). */
function run(cwd, args, env) {
  const result = spawnSync(process.execPath, [prebuildify, '--napi', '--strip', ...args], { cwd, stdio: 'inherit', env });
  if (result.status !== null) return result.status;
  return 128 + (os.constants.signals[result.signal] ?? 0);
}

// A signal (a CI timeout, Ctrl-C) must not end this script before the finally below removes its scratch copy:
// with a listener, Node runs it only once the synchronous work (and that finally) is done, and then it ends
// with the signal's status. prebuildify, in the same process group, gets the signal itself.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => process.exit(128 + os.constants.signals[signal]));

const hostStatus = run(root, [], offlineBuildEnv());
if (hostStatus !== 0) process.exit(hostStatus);
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
let crossStatus;
try {
  for (const entry of ['package.json', 'binding.gyp', 'native', 'toolchain']) {
    fs.cpSync(path.join(root, entry), path.join(scratch, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(scratch, 'node_modules'));
  crossStatus = run(scratch, ['--arch', 'arm64', '--strip-bin', `${cross}-strip`], {
    ...offlineBuildEnv(), CC: `${cross}-gcc`, CXX: `${cross}-g++`, LINK: `${cross}-g++`, AR: `${cross}-ar`,
  });
  if (crossStatus === 0) {
    const target = path.join(root, 'prebuilds', 'linux-arm64');
    fs.mkdirSync(target, { recursive: true });
    fs.copyFileSync(path.join(scratch, 'prebuilds', 'linux-arm64', 'canfork.node'), path.join(target, 'canfork.node'));
    console.log('prebuild: prebuilds/linux-arm64/canfork.node (cross-compiled)');
  }
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
// Only now: process.exit inside the try would skip the finally and leave the scratch copy behind.
if (crossStatus !== 0) process.exit(crossStatus);
