#!/usr/bin/env node
// npm install hook. Uses a prebuilt binary when one loads on this machine; compiles with node-gyp when
// none does (an older glibc, musl, another CPU, a damaged file), saying why each prebuild was skipped.
// `--rebuild` always compiles, and drops a local prebuild that would otherwise shadow the fresh build
// (the loader tries prebuilds/ first, then the compiled build: src/binding.ts).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { offlineBuildEnv } = require('./nodedir');

const root = path.resolve(__dirname, '..');
const prebuildDir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const rebuild = process.argv.includes('--rebuild');

/** The first prebuild that loads here, or null; prints why each one that exists does not. */
function loadablePrebuild() {
  let names;
  try {
    names = fs.readdirSync(prebuildDir).filter((name) => name.endsWith('.node'));
  } catch {
    return null;
  }
  for (const name of names) {
    const file = path.join(prebuildDir, name);
    try {
      require(file);
      return file;
    } catch (error) {
      console.error(`canfork: prebuild ${path.relative(root, file)} does not load here (${String(error.message).split('\n')[0]}); compiling from source`);
    }
  }
  return null;
}

function nodeGyp() {
  if (process.env.npm_config_node_gyp) return [process.execPath, process.env.npm_config_node_gyp];
  try {
    return [process.execPath, require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] })];
  } catch {
    return ['node-gyp'];
  }
}

if (!rebuild && loadablePrebuild()) process.exit(0);
if (rebuild) fs.rmSync(prebuildDir, { recursive: true, force: true });
const [command, ...prefix] = nodeGyp();
const result = spawnSync(command, [...prefix, 'rebuild'], { cwd: root, stdio: 'inherit', env: offlineBuildEnv() });
process.exit(result.status ?? 1);
