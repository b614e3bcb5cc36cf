#!/usr/bin/env node
// The `canfork` command (package.json "bin"). Exit status: 0 all can fork, 1 some cannot, 2 usage
// error, missing or unreadable pid, 3 the output could not be written or an internal error (one line on
// stderr, never a stack trace). A closed pipe (`canfork --watch | head`) or a signal ends the command with
// the status of the last scan.
import { EXIT_OK, EXIT_OUTPUT, runCli } from './run';
import { systemSource } from './system-source';

/** --serve's graceful shutdown takes at most 3 s; past this the command exits regardless. */
const SHUTDOWN_DEADLINE_MS = 4_500;

let lastStatus = EXIT_OK;

function message(error: unknown): string {
  const { code, message: text } = (error ?? {}) as { code?: unknown; message?: unknown };
  const said = typeof text === 'string' ? text : String(error);
  return (typeof code === 'string' && !said.includes(code) ? `${code}: ${said}` : said).split('\n')[0] ?? '';
}

/** stderr may be closed or full itself (`2>/dev/full`): then the exit status is all that is left. */
function say(text: string): void {
  try {
    process.stderr.write(text);
  } catch {
    // nothing left to tell it with
  }
}

function finish(status: number): never {
  process.exit(status);
}

/** Exits once what was written to stdout has reached it: a pipe takes it only as fast as the reader reads. */
function finishAfterOutput(status: number): void {
  process.exitCode = status;
  if (process.stdout.writableLength === 0) finish(status);
  process.stdout.write('', () => finish(status));
}

function outputFailed(error: unknown): never {
  if ((error as NodeJS.ErrnoException | null)?.code === 'EPIPE') finish(lastStatus); // the reader left: not an error
  say(`canfork: cannot write the output: ${message(error)}\n`);
  finish(EXIT_OUTPUT);
}

process.stderr.on('error', () => undefined);
// Writes to a pipe fail asynchronously (an 'error' event), to a file synchronously (a throw).
process.stdout.on('error', outputFailed);
process.on('uncaughtException', (error) => {
  say(`canfork: internal error: ${message(error)}\n`);
  finish(EXIT_OUTPUT);
});

const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stop.signal.aborted) finish(lastStatus); // a second signal: now
    stop.abort();
    setTimeout(() => finish(lastStatus), SHUTDOWN_DEADLINE_MS).unref();
  });
}

const stdout = {
  write(text: string): void {
    try {
      process.stdout.write(text);
    } catch (error) {
      outputFailed(error);
    }
  },
  get isTTY(): boolean {
    return process.stdout.isTTY === true;
  },
  get rows(): number | undefined {
    return process.stdout.rows;
  },
};

runCli(process.argv.slice(2), systemSource, {
  stdout,
  stderr: { write: say },
  env: process.env,
  signal: stop.signal,
  onStatus: (status) => {
    lastStatus = status;
  },
}).then((status) => {
  // Nothing left open (the addon's handles, keep-alive timers) holds the exit back.
  finishAfterOutput(status);
}, (error: unknown) => {
  say(`canfork: internal error: ${message(error)}\n`);
  finish(EXIT_OUTPUT);
});
