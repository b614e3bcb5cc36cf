// The canfork command: parse, scan, present, and choose the exit status.
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HELP_TEXT, isLoopback, parseCliArgs, UsageError, type CliOptions } from './args';
import { renderDetail } from './detail';
import { renderJson } from './json';
import { renderPrometheus, renderServerCounters, type PrometheusOptions } from './prometheus';
import { verdictOf } from './rank';
import { scan, scanAsync, type ForkSource, type ProcessEntry, type Scan } from './scan';
import { ScrapeCache } from './scrape-cache';
import { getrlimit } from '../rlimit';
import { DEFAULT_LIMITS, serveMetrics } from './serve';
import { colourWanted, createStyle, type Style } from './style';
import { safeText } from './terminal-text';
import { renderSummary, type SummaryFrame } from './summary';

export const EXIT_OK = 0;
export const EXIT_CANNOT_FORK = 1;
export const EXIT_USAGE = 2;
/** The output could not be written (not EPIPE), or an internal error. */
export const EXIT_OUTPUT = 3;

export interface CliIo {
  stdout: { write(text: string): unknown; isTTY?: boolean; rows?: number };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
  /** Ends --watch and --serve (main.ts aborts it on SIGINT and SIGTERM). */
  signal?: AbortSignal;
  /** Told the exit status of every scan, so that --watch ended by EPIPE exits with the last one. */
  onStatus?: (status: number) => void;
}

export function packageVersion(): string {
  // dist/cli/ and src/cli/ both sit two levels under the package root.
  const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

/** A requested process whose answer is unknown: it could not be read, or not enough of it. */
function unreadable(entry: ProcessEntry): boolean {
  return entry.report === null || entry.report.verdict === 'unknown';
}

/** 2 when a requested pid is missing or unreadable, else 1 when any process cannot fork, else 0. */
export function exitStatus(result: Scan, requested: readonly number[]): number {
  if (result.missing.length > 0) return EXIT_USAGE;
  const wanted = new Set(requested);
  if (result.processes.some((entry) => wanted.has(entry.pid) && unreadable(entry))) return EXIT_USAGE;
  return result.processes.some((entry) => verdictOf(entry) === 'fails') ? EXIT_CANNOT_FORK : EXIT_OK;
}

function reportProblems(result: Scan, requested: readonly number[], io: CliIo): void {
  for (const pid of result.missing) io.stderr.write(`canfork: no process ${pid} (ESRCH)\n`);
  const wanted = new Set(requested);
  for (const entry of result.processes) {
    if (!wanted.has(entry.pid) || !unreadable(entry)) continue;
    const why = entry.error?.message ?? entry.report?.warnings.find((w) => w.cause === 'unreadable')?.message ?? 'unknown error';
    io.stderr.write(`canfork: cannot read process ${entry.pid}: ${safeText(why)}\n`);
  }
}

function renderText(result: Scan, options: CliOptions, style: Style): string {
  const byPid = new Map(result.processes.map((entry) => [entry.pid, entry]));
  const details = options.pids.flatMap((pid) => {
    const entry = byPid.get(pid);
    return entry ? [renderDetail(entry, style)] : [];
  });
  if (options.pids.length === 0 || options.all) {
    const summary = renderSummary(result, style).text;
    const hint = style.dim('Details: canfork PID ...   Also: --json, --prometheus, --serve PORT, --watch SECONDS');
    return [summary, '', ...(options.pids.length === 0 ? [hint] : details.flatMap((d) => [d, '']))].join('\n').trimEnd();
  }
  return details.join('\n\n');
}

async function watch(source: ForkSource, options: CliOptions, style: Style, io: CliIo): Promise<number> {
  const interactive = io.stdout.isTTY === true;
  let previous: SummaryFrame | undefined;
  let status = EXIT_OK;
  while (!io.signal?.aborted) {
    const result = scan(source, options);
    status = exitStatus(result, options.pids);
    io.onStatus?.(status);
    if (options.format === 'json') {
      io.stdout.write(`${renderJson(result, { compact: true })}\n`); // one document per line
      if (!(await pause(options, io))) break;
      continue;
    }
    // On a terminal the frame fits its height, minus the footer line.
    const height = interactive && io.stdout.rows ? io.stdout.rows - 1 : Infinity;
    const { text, frame } = renderSummary(result, style, previous, height);
    const footer = style.dim(`every ${options.watchSeconds} s; * changed, + new; Ctrl-C quits`);
    // Home and clear on a terminal; plain frames one after another on a pipe.
    // A newline after the last line of a full screen would scroll the header away.
    io.stdout.write(interactive ? `\x1b[H\x1b[2J${text}\n${footer}` : `${text}\n${footer}\n\n`);
    previous = frame;
    if (!(await pause(options, io))) break;
  }
  if (interactive && options.format === 'text') io.stdout.write('\n'); // the shell prompt starts below the last frame
  return status;
}

/** Waits the --watch interval; false when the signal ended it. */
async function pause(options: CliOptions, io: CliIo): Promise<boolean> {
  try {
    await sleep((options.watchSeconds ?? 2) * 1000, undefined, { signal: io.signal });
    return true;
  } catch {
    return false; // aborted
  }
}

function prometheusOptions(options: CliOptions): PrometheusOptions {
  return {
    maxProcessSeries: options.maxProcessSeries,
    build: { version: packageVersion(), nodeVersion: process.version, kernel: release() },
  };
}

async function serve(source: ForkSource, options: CliOptions, io: CliIo): Promise<number> {
  if (options.pids.length > 0) {
    // As the one-shot mode does: a pid that does not exist or cannot be read is a mistake to say at once.
    const first = scan(source, { ...options, all: false });
    const status = exitStatus(first, options.pids);
    if (status === EXIT_USAGE) {
      reportProblems(first, options.pids, io);
      return EXIT_USAGE;
    }
  }
  const rendering = prometheusOptions(options);
  const cache = new ScrapeCache(async () => renderPrometheus(await scanAsync(source, options), rendering), options.minIntervalSeconds * 1000);
  // Connections that wait for a slot hold file descriptors too: as many as RLIMIT_NOFILE leaves room for.
  const nofile = getrlimit('nofile').soft;
  const maxWaiting = Math.max(0, Math.min(4 * options.maxConnections, nofile - options.maxConnections - 64));
  const limits = { ...DEFAULT_LIMITS, maxConnections: options.maxConnections, maxWaiting };
  let metrics;
  try {
    metrics = await serveMetrics(options.host, options.servePort ?? 0, cache, limits,
      (pool) => renderServerCounters({ scans: cache.scans, closedByLimits: pool.closedByLimits }));
  } catch (error) {
    // EADDRINUSE, EACCES for a port below 1024, EADDRNOTAVAIL for an address this machine does not have.
    const { code, message } = error as NodeJS.ErrnoException;
    io.stderr.write(`canfork: cannot listen on ${options.host} port ${options.servePort}: ${code ?? message}\n`);
    return EXIT_OUTPUT;
  }
  if (!isLoopback(options.host)) {
    io.stderr.write(`canfork: warning: listening on ${options.host}, which is not a loopback address: other machines can reach it\n`);
  }
  io.stderr.write(`canfork: serving ${metrics.url}\n`);
  await new Promise<void>((resolve) => {
    if (io.signal?.aborted) resolve();
    io.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  await metrics.close();
  return EXIT_OK;
}

/** Runs the command with `argv` (without node and script); resolves with the exit status. */
export async function runCli(argv: readonly string[], source: ForkSource, io: CliIo): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCliArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`canfork: ${safeText(error.message)} (see canfork --help)\n`);
    return EXIT_USAGE;
  }
  if (options.help) {
    io.stdout.write(`${HELP_TEXT}\n`);
    return EXIT_OK;
  }
  if (options.version) {
    io.stdout.write(`${packageVersion()}\n`);
    return EXIT_OK;
  }
  const style = createStyle(options.format === 'text' && colourWanted(io.stdout, io.env, options.colour));
  if (options.servePort !== null) return serve(source, options, io);
  if (options.watchSeconds !== null) return watch(source, options, style, io);

  const result = scan(source, options);
  const status = exitStatus(result, options.pids);
  io.onStatus?.(status);
  const output = options.format === 'json' ? renderJson(result)
    : options.format === 'prometheus' ? renderPrometheus(result, prometheusOptions(options)).trimEnd()
      : renderText(result, options, style);
  if (output !== '') io.stdout.write(`${output}\n`);
  reportProblems(result, options.pids, io);
  return status;
}
