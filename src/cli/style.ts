// Text helpers for the CLI: IEC sizes, fixed-width cells that fit 80 columns, and ANSI colours that
// appear only on a terminal and never under NO_COLOR (https://no-color.org).

/** Every line the CLI prints fits this many columns. */
export const SCREEN_COLUMNS = 80;

// One formatter for the model's messages and the CLI's tables.
export { formatBytes } from '../format';

/** A task or page count with thin grouping for readability; `max` for Infinity, as cgroups write it. */
export function formatCount(count: number): string {
  if (count === Infinity) return 'max';
  return count.toLocaleString('en-US');
}

/** `0x7f…` as the kernel prints VMA bounds in /proc/PID/maps (no prefix, lower-case hex). */
export function formatAddress(address: bigint): string {
  return address.toString(16).padStart(12, '0');
}

/** Cuts `text` to `width` columns, marking the cut with `~`. */
export function truncate(text: string, width: number): string {
  if (text.length <= width) return text;
  return width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}~`;
}

export function padEnd(text: string, width: number): string {
  return truncate(text, width).padEnd(width);
}

export function padStart(text: string, width: number): string {
  return truncate(text, width).padStart(width);
}

export interface Style {
  readonly enabled: boolean;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
  /** Reverse video: how --watch marks a value that changed. */
  inverse(text: string): string;
}

function sgr(open: number, close: number): (text: string) => string {
  return (text) => (text === '' ? text : `\x1b[${open}m${text}\x1b[${close}m`);
}

const identity = (text: string): string => text;

export function createStyle(enabled: boolean): Style {
  if (!enabled) {
    return { enabled, red: identity, yellow: identity, green: identity, bold: identity, dim: identity, inverse: identity };
  }
  return {
    enabled,
    red: sgr(31, 39),
    yellow: sgr(33, 39),
    green: sgr(32, 39),
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    inverse: sgr(7, 27),
  };
}

/**
 * Colours only on a terminal. NO_COLOR (any non-empty value) always wins; FORCE_COLOR (not `0`)
 * turns colours on for a pipe; TERM=dumb turns them off.
 */
export function colourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/** Removes ANSI SGR sequences: what a person reads, for width checks. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching the escape character is the point
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

/** Word-wraps `text` into lines of at most `width` columns (a longer word gets a line of its own). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  const words = text.split(/\s+/).filter((w) => w !== '');
  // A word longer than a line (a long path) is cut into line-sized pieces.
  for (const word of words.flatMap((w) => w.match(new RegExp(`.{1,${Math.max(1, width)}}`, 'g')) ?? [])) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
