// Text from /proc on a terminal: any user can name a process (prctl PR_SET_NAME, argv, a file name) with
// escape sequences that would clear the screen, retitle the window or overwrite rows. Control characters
// become '?', as ps shows them, and widths are counted in terminal cells, not UTF-16 units.

// C0 controls, DEL, C1 controls; the bidi embeddings, overrides and isolates that reorder what follows them;
// the line and paragraph separators some terminals break on; U+FFFD stands for bytes that were not UTF-8.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufffd]/g;

/** `text` with every character a terminal would act on, instead of show, replaced by '?'. */
export function safeText(text: string): string {
  return text.replace(UNSAFE, '?');
}

/**
 * A copy of `value` with every string in it passed through {@link safeText}: what the text presenters
 * show of a report (comm, VMA paths, cgroup paths, and the model's messages that quote them).
 */
export function safeStrings<T>(value: T): T {
  if (typeof value === 'string') return safeText(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => safeStrings(item)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = safeStrings(item);
    return copy as T;
  }
  return value;
}

// Zero cells: combining marks (variation selectors among them), format characters (zero-width joiners and
// spaces); and the Hangul medial vowels and final consonants, which join the syllable before them.
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;

// Two cells: East Asian Wide and Fullwidth (Unicode 15, UAX #11) and the emoji that terminals draw wide.
const WIDE_RANGES: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f], [0x231a, 0x231b], [0x2329, 0x232a], [0x23e9, 0x23ec], [0x23f0, 0x23f0], [0x23f3, 0x23f3],
  [0x25fd, 0x25fe], [0x2614, 0x2615], [0x2648, 0x2653], [0x267f, 0x267f], [0x2693, 0x2693], [0x26a1, 0x26a1],
  [0x26aa, 0x26ab], [0x26bd, 0x26be], [0x26c4, 0x26c5], [0x26ce, 0x26ce], [0x26d4, 0x26d4], [0x26ea, 0x26ea],
  [0x26f2, 0x26f3], [0x26f5, 0x26f5], [0x26fa, 0x26fa], [0x26fd, 0x26fd], [0x2705, 0x2705], [0x270a, 0x270b],
  [0x2728, 0x2728], [0x274c, 0x274c], [0x274e, 0x274e], [0x2753, 0x2755], [0x2757, 0x2757], [0x2795, 0x2797],
  [0x27b0, 0x27b0], [0x27bf, 0x27bf], [0x2b1b, 0x2b1c], [0x2b50, 0x2b50], [0x2b55, 0x2b55], [0x2e80, 0x303e],
  [0x3041, 0x33ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa000, 0xa4cf], [0xa960, 0xa97f], [0xac00, 0xd7a3],
  [0xf900, 0xfaff], [0xfe10, 0xfe19], [0xfe30, 0xfe6f], [0xff00, 0xff60], [0xffe0, 0xffe6], [0x16fe0, 0x16fe4],
  [0x17000, 0x18cff], [0x1b000, 0x1b2ff], [0x1f004, 0x1f004], [0x1f0cf, 0x1f0cf], [0x1f18e, 0x1f18e],
  [0x1f191, 0x1f19a], [0x1f200, 0x1f251], [0x1f300, 0x1f320], [0x1f32d, 0x1f335], [0x1f337, 0x1f37c],
  [0x1f37e, 0x1f393], [0x1f3a0, 0x1f3ca], [0x1f3cf, 0x1f3d3], [0x1f3e0, 0x1f3f0], [0x1f3f4, 0x1f3f4],
  [0x1f3f8, 0x1f43e], [0x1f440, 0x1f440], [0x1f442, 0x1f4fc], [0x1f4ff, 0x1f53d], [0x1f54b, 0x1f54e],
  [0x1f550, 0x1f567], [0x1f57a, 0x1f57a], [0x1f595, 0x1f596], [0x1f5a4, 0x1f5a4], [0x1f5fb, 0x1f64f],
  [0x1f680, 0x1f6c5], [0x1f6cc, 0x1f6cc], [0x1f6d0, 0x1f6d2], [0x1f6d5, 0x1f6d7], [0x1f6eb, 0x1f6ec],
  [0x1f6f4, 0x1f6fc], [0x1f7e0, 0x1f7eb], [0x1f90c, 0x1f93a], [0x1f93c, 0x1f945], [0x1f947, 0x1f9ff],
  [0x1fa70, 0x1faff], [0x20000, 0x2fffd], [0x30000, 0x3fffd],
];

function isWide(code: number): boolean {
  let low = 0;
  let high = WIDE_RANGES.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const range = WIDE_RANGES[middle];
    if (range === undefined) break;
    const [start, end] = range;
    if (code < start) high = middle - 1;
    else if (code > end) low = middle + 1;
    else return true;
  }
  return false;
}

/** Cells one code point takes on a terminal: 0, 1 or 2 (control characters count 1: they are shown as '?'). */
export function charCells(char: string): number {
  const code = char.codePointAt(0) ?? 0;
  if (code < 0x300) return 1; // ASCII and Latin: the common case, without a regex
  if (ZERO_WIDTH.test(char) || (code >= 0x1160 && code <= 0x11ff)) return 0;
  return isWide(code) ? 2 : 1;
}

/** Cells `text` takes on a terminal (no escape sequences in it). */
export function cellWidth(text: string): number {
  let cells = 0;
  for (const char of text) cells += charCells(char);
  return cells;
}

/** The longest start of `text` that fits `cells`, with the zero-width marks that belong to its last character. */
export function sliceCells(text: string, cells: number): string {
  let used = 0;
  let end = 0;
  for (const char of text) {
    const width = charCells(char);
    if (used + width > cells) break;
    used += width;
    end += char.length;
  }
  return text.slice(0, end);
}
