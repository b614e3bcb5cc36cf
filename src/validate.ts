// Argument checks with Node's error codes. The native layer re-checks types only; every message a
// caller sees comes from here.
import { native } from './binding';
import { invalidArgType, outOfRange } from './errors';

export function validateNumber(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
}

/** A byte count: a positive safe integer (anything else would be truncated by the kernel ABI). */
export function validateByteLength(value: unknown, name: string): asserts value is number {
  validateNumber(value, name);
  if (!Number.isSafeInteger(value) || value < 1) throw outOfRange(name, 'a positive safe integer', value);
}

/** A real process id. Zero and negatives mean "process groups" to several syscalls: never accepted. */
export function validatePid(value: unknown, name = 'pid'): asserts value is number {
  validateNumber(value, name);
  const { PID_MAX_LIMIT } = native.constants;
  if (!Number.isSafeInteger(value) || value < 1 || value > PID_MAX_LIMIT) {
    throw outOfRange(name, `an integer >= 1 and <= ${PID_MAX_LIMIT}`, value);
  }
}

export function validateBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
}

/** `undefined` becomes `{}`; anything that is not a plain object is a TypeError. */
export function validateOptions<T extends object>(value: T | undefined, name = 'options'): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgType(name, 'of type object', value);
  }
  return value;
}

export function optionalBoolean(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  validateBoolean(value, name);
  return value;
}
