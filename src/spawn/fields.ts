// Records that nothing inherited can reach: the normalized options and the native plan. Object.prototype
// must not supply a field these lack (a polluted `shell` or `cwd`), which is why Node writes them as
// `{ __proto__: null, ... }`. But V8 keeps such objects as hash tables: each is several hundred bytes, and
// every read is a lookup in one. An instance of a constructor whose prototype is an empty, frozen,
// null-prototype object reaches nothing inherited either, and stays a fast object with in-object fields.
// Each record kind gets its own constructor, so that V8 sizes its objects for that kind's fields.

/** A constructor of empty records with no inherited properties. */
export type FieldsConstructor = new () => Record<string, unknown>;

export function fieldsConstructor(): FieldsConstructor {
  function Fields(this: Record<string, unknown>): void {}
  Fields.prototype = Object.freeze(Object.create(null) as object);
  return Fields as unknown as FieldsConstructor;
}
