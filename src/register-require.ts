// `node --require canfork/register app.js` (or in NODE_OPTIONS): child_process without fork for the
// whole program. CANFORK_REGISTER=0 in the environment turns it off.
import { register } from './register';

if (process.env.CANFORK_REGISTER !== '0') register();
