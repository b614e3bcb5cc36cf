// Command-line arguments, parsed with node:util parseArgs. A usage error is one line on stderr and exit 2.
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { native } from '../binding';
import type { ColourMode } from './style';

export type OutputFormat = 'text' | 'json' | 'prometheus';

export interface CliOptions {
  help: boolean;
  version: boolean;
  format: OutputFormat;
  /** Scan every process, even when pids are given. */
  all: boolean;
  pids: number[];
  /** Run the no-touch trials as well, allocation and task (canFork's `trial` option). */
  trial: boolean;
  /** Serve GET /metrics on this port (0: any free port). */
  servePort: number | null;
  host: string;
  /** Redraw every this many seconds. */
  watchSeconds: number | null;
  colour: ColourMode;
  /** --serve: a scan younger than this answers the next scrape too. */
  minIntervalSeconds: number;
  /** --serve: connections held at once; more evict the oldest idle one, or are closed. */
  maxConnections: number;
  /** --serve and --prometheus: per-process series beyond those that cannot fork or are at risk. */
  maxProcessSeries: number;
}

/** A mistake in the command line: exit status 2, the message on one line. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  json: { type: 'boolean' },
  prometheus: { type: 'boolean' },
  all: { type: 'boolean', short: 'a' },
  trial: { type: 'boolean' },
  serve: { type: 'string' },
  host: { type: 'string' },
  watch: { type: 'string', short: 'w' },
  color: { type: 'string' },
  'min-interval': { type: 'string' },
  'max-connections': { type: 'string' },
  'max-process-series': { type: 'string' },
} as const;

/** Loopback addresses: anything else is reachable from other machines. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/i.test(host);
}

// An IP literal (or localhost): an empty or mistyped --host must not fall back to every interface. No name is
// resolved: getaddrinfo runs on libuv's thread pool, and the server must start where no thread can be made.
function parseHost(text: string): string {
  if (text === 'localhost') return '127.0.0.1';
  if (isIP(text) !== 0) return text;
  throw new UsageError(`--host wants an IP address such as 127.0.0.1 or ::1, not '${text}'`);
}

function parseColour(text: string): ColourMode {
  if (text === 'auto' || text === 'always' || text === 'never') return text;
  throw new UsageError(`--color wants auto, always or never, not '${text}'`);
}

function parseNumber(text: string, flag: string, { min, max, integer }: { min: number; max: number; integer: boolean }): number {
  const value = Number(text);
  const pattern = integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
  if (!pattern.test(text) || value < min || value > max) {
    throw new UsageError(`${flag} wants ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, not '${text}'`);
  }
  return value;
}

function parsePid(text: string): number {
  const { PID_MAX_LIMIT } = native.constants;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > PID_MAX_LIMIT) {
    throw new UsageError(`'${text}' is not a process id (an integer from 1 to ${PID_MAX_LIMIT})`);
  }
  return Number(text);
}

// parseArgs messages carry a hint about '--' that does not fit one line; keep the first sentence.
function usageMessage(error: Error & { code?: string }): string {
  return (error.message.split('. ')[0] ?? error.message).replace(/\.$/, '');
}

export function parseCliArgs(argv: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    if (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(usageMessage(error));
    }
    throw error;
  }
  const { values, positionals } = parsed;
  if (values.json && values.prometheus) throw new UsageError('--json and --prometheus exclude each other');
  if (values.host !== undefined && values.serve === undefined) throw new UsageError('--host needs --serve');
  if (values.serve !== undefined && values.watch !== undefined) throw new UsageError('--serve and --watch exclude each other');
  // A trial creates a task (and maps memory) per process: the exporter starts no process per scrape.
  if (values.serve !== undefined && values.trial) throw new UsageError('--trial creates a task per process; it does not go with --serve');
  if (values.serve !== undefined && values.json) throw new UsageError('--serve always answers in Prometheus format; drop --json');
  if (values.watch !== undefined && values.prometheus) {
    throw new UsageError('--watch redraws text or streams --json; use --serve for Prometheus');
  }
  for (const flag of ['min-interval', 'max-connections'] as const) {
    if (values[flag] !== undefined && values.serve === undefined) throw new UsageError(`--${flag} needs --serve`);
  }
  return {
    help: values.help ?? false,
    version: values.version ?? false,
    format: values.json ? 'json' : values.prometheus ? 'prometheus' : 'text',
    all: values.all ?? false,
    trial: values.trial ?? false,
    pids: positionals.map(parsePid),
    servePort: values.serve === undefined ? null : parseNumber(values.serve, '--serve', { min: 0, max: 65535, integer: true }),
    host: values.host === undefined ? '127.0.0.1' : parseHost(values.host),
    watchSeconds: values.watch === undefined ? null : parseNumber(values.watch, '--watch', { min: 0.1, max: 86400, integer: false }),
    colour: values.color === undefined ? 'auto' : parseColour(values.color),
    minIntervalSeconds: values['min-interval'] === undefined ? 1
      : parseNumber(values['min-interval'], '--min-interval', { min: 0, max: 3600, integer: false }),
    maxConnections: values['max-connections'] === undefined ? 64
      : parseNumber(values['max-connections'], '--max-connections', { min: 1, max: 65536, integer: true }),
    maxProcessSeries: values['max-process-series'] === undefined ? 20
      : parseNumber(values['max-process-series'], '--max-process-series', { min: 0, max: 100000, integer: true }),
  };
}

export const HELP_TEXT = `Usage: canfork [options] [pid ...]

Can each process on this machine fork, and if not, why? Without pids: a machine
summary, then every readable process ranked by risk. With pids: a detailed
report for each, ending with what to do.

Options:
  -a, --all            every process, even when pids are given
      --json           the reports as JSON (bigints and Infinity as strings);
                       with --watch, one JSON document per line
      --prometheus     Prometheus text format (node_exporter textfile collector)
      --serve PORT     answer GET /metrics on PORT (0: any free port)
      --host ADDR      IP address for --serve (default 127.0.0.1)
      --min-interval SECONDS  --serve: reuse a scan this young (default 1)
      --max-connections N     --serve: connections at once (default 64)
      --max-process-series N  per-process series besides those that cannot
                       fork or are at risk (default 20)
  -w, --watch SECONDS  redraw the summary every SECONDS, marking what changed
      --trial          also ask the kernel: map the largest VMA size, untouched,
                       and create one task where it forks (it exits at once)
      --color WHEN     auto (default), always or never
  -h, --help           this help
  -V, --version        the canfork version

Exit status: 0 every process checked can fork, 1 at least one cannot,
2 usage error, no such process (ESRCH) or a given pid is unreadable,
3 the output could not be written or an internal error.
Colours with --color=auto only on a terminal, never when NO_COLOR is set,
also on a pipe when FORCE_COLOR is set.

Examples:
  canfork                          who on this machine cannot fork?
  canfork 1234                     why can't process 1234 fork, what to do
  canfork --json 1234 | jq .processes[0].report.reasons
  canfork --prometheus > /var/lib/node_exporter/textfile/canfork.prom
  canfork --serve 9798             serve http://127.0.0.1:9798/metrics
  canfork --watch 2                live view, changes in reverse video`;
