// Where `canfork/register` resolves (the package's own "exports" entry, as users load it), for child processes.
import { createRequire } from 'node:module';
import { join } from 'node:path';

export const repoRoot = join(__dirname, '..', '..');

/** The file `node --require canfork/register` loads; throws naming the build step when it is missing. */
export function registerModule(): string {
  return createRequire(join(repoRoot, 'package.json')).resolve('canfork/register');
}

/** The environment of a child that must not inherit a register choice from the test runner's own. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  delete env.CANFORK_REGISTER;
  return env;
}
