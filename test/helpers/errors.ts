import { expect } from 'vitest';

/** Asserts that `fn` throws `type` with Node's error `code`. */
export function expectCodedError(fn: () => unknown, type: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor, code: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected ${type.name} ${code}`).toBeInstanceOf(type);
  expect((thrown as { code?: string }).code).toBe(code);
}

/** Asserts a Node-style system error: code, negative errno, syscall, and a message like `mmap ENOMEM`. */
export function expectSystemError(fn: () => unknown, code: string, syscall: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(Error);
  expect(thrown).toMatchObject({ code, syscall });
  const error = thrown as { errno: number; message: string };
  expect(error.errno).toBeLessThan(0);
  expect(error.message.startsWith(`${syscall} ${code}`)).toBe(true);
}
