// The running Node's own headers (include/node beside the binary, as official tarballs, the registry's
// node-linux-* packages and distribution packages lay them out): node-gyp, prebuildify and cmake-js
// build against them, so no build ever downloads headers.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** The directory holding include/node/node_api.h for this node, or undefined (then say so). */
function localNodedir(execPath = process.execPath) {
  const candidates = [path.resolve(fs.realpathSync(execPath), '..', '..'), path.resolve(execPath, '..', '..'), '/usr'];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h')));
}

/** process.env plus npm_config_nodedir (unless set already): what a node-gyp child needs to stay offline. */
function offlineBuildEnv(env = process.env) {
  if (env.npm_config_nodedir) return env;
  const nodedir = localNodedir();
  if (!nodedir) {
    process.stderr.write(`canfork: no include/node beside ${process.execPath}; node-gyp will try to download the headers\n`);
    return env;
  }
  return { ...env, npm_config_nodedir: nodedir };
}

module.exports = { localNodedir, offlineBuildEnv };
