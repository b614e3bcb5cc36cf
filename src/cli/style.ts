// Text helpers for the CLI: IEC sizes, fixed-width cells that fit 80 columns, and ANSI colours that
// appear only on a terminal and never under NO_COLOR (https://no-color.org).

/** Every line the CLI prints fits this many columns. */
export const SCREEN_COLUMNS = 80;

import { cellWidth, sliceCells } from './terminal-text';

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

/** Cuts `text` to `width` terminal cells, marking the cut with `~`. */
export function truncate(text: string, width: number): string {
  if (cellWidth(text) <= width) return text;
  return width <= 1 ? sliceCells(text, width) : `${sliceCells(text, width - 1)}~`;
}

/** `text` cut to `width` cells and padded with spaces after it to exactly `width` cells. */
export function padEnd(text: string, width: number): string {
  const cut = truncate(text, width);
  return cut + ' '.repeat(Math.max(0, width - cellWidth(cut)));
}

/** `text` cut to `width` cells and padded with spaces before it to exactly `width` cells. */
export function padStart(text: string, width: number): string {
  const cut = truncate(text, width);
  return ' '.repeat(Math.max(0, width - cellWidth(cut))) + cut;
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

/** --color: `always` and `never` override the environment; `auto` follows it. */
export type ColourMode = 'auto' | 'always' | 'never';

/**
 * Colours only on a terminal. NO_COLOR (any non-empty value) always wins; FORCE_COLOR (not `0`)
 * turns colours on for a pipe; TERM=dumb turns them off.
 */
export function colourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, mode: ColourMode = 'auto'): boolean {
  if (mode !== 'auto') return mode === 'always';
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

/** A word longer than a line (a long path) cut into pieces of at most `width` cells. */
function splitWord(word: string, width: number): string[] {
  const pieces: string[] = [];
  let rest = word;
  while (rest !== '') {
    // A character wider than the line still takes one piece of its own.
    const piece = sliceCells(rest, Math.max(1, width)) || String.fromCodePoint(rest.codePointAt(0) ?? 0x3f);
    pieces.push(piece);
    rest = rest.slice(piece.length);
  }
  return pieces;
}

/** Word-wraps `text` into lines of at most `width` cells (a longer word is cut into line-sized pieces). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  let lineCells = 0;
  const words = text.split(/\s+/).filter((w) => w !== '');
  for (const word of words.flatMap((w) => splitWord(w, width))) {
    const cells = cellWidth(word);
    if (line === '' || lineCells + 1 + cells > width) {
      if (line !== '') lines.push(line);
      line = word;
      lineCells = cells;
    } else {
      line += ` ${word}`;
      lineCells += 1 + cells;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}
