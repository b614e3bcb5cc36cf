// `node --import canfork/register app.mjs`: the same as the --require entry; register() also updates
// the ESM view of node:child_process, so named imports see canfork's functions.
import './register-require.js';
