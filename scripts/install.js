#!/usr/bin/env node
// npm install hook. Uses the prebuilt binary when one loads on this machine; compiles with node-gyp
// only when none does. `--rebuild` always compiles (and drops a stale local prebuild that would
// otherwise shadow the fresh build, since the loader prefers prebuilds/).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const prebuildDir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const rebuild = process.argv.includes('--rebuild');

function prebuildLoads() {
  try {
    require(path.join(prebuildDir, 'canfork.node'));
    return true;
  } catch {
    return false;
  }
}

// Node's headers next to the running node (official tarballs, distro packages) spare node-gyp a
// download, which matters on machines that reach only a package registry.
function localNodedir() {
  if (process.env.npm_config_nodedir) return undefined;
  const candidates = [path.resolve(process.execPath, '..', '..'), '/usr'];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h')));
}

function nodeGyp() {
  if (process.env.npm_config_node_gyp) return [process.execPath, process.env.npm_config_node_gyp];
  try {
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] })];
  } catch {
    return ['node-gyp'];
  }
}

if (!rebuild && prebuildLoads()) {
  process.exit(0);
}
if (rebuild) fs.rmSync(prebuildDir, { recursive: true, force: true });
const [command, ...prefix] = nodeGyp();
const nodedir = localNodedir();
const args = [...prefix, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
