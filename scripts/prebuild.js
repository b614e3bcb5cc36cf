#!/usr/bin/env node
// `npm run prebuild` (and `npm pack`): prebuildify --napi --strip, against the running Node's own
// headers (no download). Extra arguments go to prebuildify (e.g. --arch arm64 for a cross build; see
// scripts/prebuild-arm64.sh).
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { offlineBuildEnv } = require('./nodedir');

const root = path.resolve(__dirname, '..');
const prebuildify = require.resolve('prebuildify/bin.js', { paths: [root] });
const result = spawnSync(process.execPath, [prebuildify, '--napi', '--strip', ...process.argv.slice(2)], {
  cwd: root, stdio: 'inherit', env: offlineBuildEnv(),
});
process.exit(result.status ?? 1);
