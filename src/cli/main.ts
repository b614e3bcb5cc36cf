#!/usr/bin/env node
// The `canfork` command (package.json "bin"). Exit status: 0 all can fork, 1 some cannot, 2 usage
// error, missing or unreadable pid.
import { runCli } from './run';
import { systemSource } from './system-source';

const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
// `canfork | head`: a closed pipe ends the output, it is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

runCli(process.argv.slice(2), systemSource, { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: stop.signal })
  .then((status) => {
    process.exitCode = status;
  })
  .catch((error: unknown) => {
    process.stderr.write(`canfork: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  });
