// Command-line arguments, parsed with node:util parseArgs. A usage error is one line on stderr and exit 2.
import { parseArgs } from 'node:util';
import { native } from '../binding';

export type OutputFormat = 'text' | 'json' | 'prometheus';

export interface CliOptions {
  help: boolean;
  version: boolean;
  format: OutputFormat;
  /** Scan every process, even when pids are given. */
  all: boolean;
  pids: number[];
  /** Run the no-touch trial allocation as well (canFork's `trial` option). */
  trial: boolean;
  /** Serve GET /metrics on this port (0: any free port). */
  servePort: number | null;
  host: string;
  /** Redraw every this many seconds. */
  watchSeconds: number | null;
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
} as const;

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
  if (values.serve !== undefined && values.json) throw new UsageError('--serve always answers in Prometheus format; drop --json');
  if (values.watch !== undefined && (values.json || values.prometheus)) {
    throw new UsageError('--watch redraws text; use --serve for Prometheus, or run --json in a loop');
  }
  return {
    help: values.help ?? false,
    version: values.version ?? false,
    format: values.json ? 'json' : values.prometheus ? 'prometheus' : 'text',
    all: values.all ?? false,
    trial: values.trial ?? false,
    pids: positionals.map(parsePid),
    servePort: values.serve === undefined ? null : parseNumber(values.serve, '--serve', { min: 0, max: 65535, integer: true }),
    host: values.host ?? '127.0.0.1',
    watchSeconds: values.watch === undefined ? null : parseNumber(values.watch, '--watch', { min: 0.1, max: 86400, integer: false }),
  };
}

export const HELP_TEXT = `Usage: canfork [options] [pid ...]

Can each process on this machine fork, and if not, why? Without pids: a machine
summary, then every readable process ranked by risk. With pids: a detailed
report for each, ending with what to do.

Options:
  -a, --all            every process, even when pids are given
      --json           the reports as JSON (bigints and Infinity as strings)
      --prometheus     Prometheus text format (node_exporter textfile collector)
      --serve PORT     answer GET /metrics on PORT (0: any free port)
      --host ADDR      address for --serve (default 127.0.0.1)
  -w, --watch SECONDS  redraw the summary every SECONDS, marking what changed
      --trial          also ask the kernel: map the largest VMA size, untouched
  -h, --help           this help
  -V, --version        the canfork version

Exit status: 0 every process checked can fork, 1 at least one cannot,
2 usage error, no such process (ESRCH) or a given pid is unreadable.
Colours only on a terminal, never when NO_COLOR is set.

Examples:
  canfork                          who on this machine cannot fork?
  canfork 1234                     why can't process 1234 fork, what to do
  canfork --json 1234 | jq .processes[0].report.reasons
  canfork --prometheus > /var/lib/node_exporter/textfile/canfork.prom
  canfork --serve 9798             serve http://127.0.0.1:9798/metrics
  canfork --watch 2                live view, changes in reverse video`;
