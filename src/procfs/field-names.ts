// A line's name among a few wanted ones, compared where it stands in the text: the parsers of the files canFork()
// reads on every call (meminfo, status) cut no string from the lines they do not keep.

/** Wanted names, with their indices by name length (a line's name is compared only with those as long as it). */
export interface FieldNames {
  readonly names: readonly string[];
  readonly byLength: readonly (readonly number[] | undefined)[];
}

export function fieldNames(names: readonly string[]): FieldNames {
  const byLength: number[][] = [];
  names.forEach((name, index) => (byLength[name.length] ??= []).push(index));
  return { names, byLength };
}

/** The index in `wanted.names` of the name text[start, end), or -1. */
export function fieldIndex(wanted: FieldNames, text: string, start: number, end: number): number {
  const candidates = wanted.byLength[end - start];
  if (candidates === undefined) return -1;
  for (let index = 0; index < candidates.length; index++) {
    const candidate = candidates[index] as number;
    if (text.startsWith(wanted.names[candidate] as string, start)) return candidate;
  }
  return -1;
}
