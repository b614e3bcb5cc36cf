// The addon's spawn plan of /bin/true with every stdio stream ignored, as canfork's spawn builds it (from dist/):
// for the bench scripts that time the addon without ChildProcess.
const { buildPlan, stdioPlan } = require('../../dist/spawn/plan.js');
const { envPairsOf } = require('../../dist/spawn/normalize.js');

const ignored = [{ type: 'ignore' }, { type: 'ignore' }, { type: 'ignore' }];
const extras = { processGroup: false, rlimits: [] };

/** `KEY=value` pairs for the child, or null: this process's environment (envp null), as spawn() on the main thread. */
function trueSpawnPlan(envPairs) {
  return buildPlan({ file: '/bin/true', args: ['/bin/true'], envPairs: envPairs ?? envPairsOf(undefined), stdio: ignored }, stdioPlan(ignored), extras);
}

module.exports = { trueSpawnPlan };
