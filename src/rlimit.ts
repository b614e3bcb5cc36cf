// Resource limits by name. Unlimited is Infinity in both directions, never RLIM_INFINITY's raw value.
import { native } from './binding';
import { invalidArgValue, outOfRange, throwIfErrno } from './errors';
import { validateNumber, validateOptions, validatePid } from './validate';

export const RLIMIT_RESOURCES = [
  'as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue',
  'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack',
] as const;

export type RlimitResource = (typeof RLIMIT_RESOURCES)[number];

export interface Rlimit {
  soft: number;
  hard: number;
}

/** The kernel's number for a resource name; TypeError ERR_INVALID_ARG_VALUE for anything else. */
export function resourceNumber(resource: unknown, name = 'resource'): number {
  const value = typeof resource === 'string' && Object.hasOwn(native.rlimitResources, resource)
    ? native.rlimitResources[resource]
    : undefined;
  if (value === undefined) {
    throw invalidArgValue(name, resource, `must be one of: ${RLIMIT_RESOURCES.join(', ')}`);
  }
  return value;
}

export function validateLimitValue(value: unknown, name: string): asserts value is number {
  validateNumber(value, name);
  if (value !== Infinity && (!Number.isSafeInteger(value) || value < 0)) {
    throw outOfRange(name, 'a non-negative safe integer or Infinity', value);
  }
}

/** Fills a partial `{ soft, hard }` from `current`, checking each given value. */
function mergeLimits(next: Partial<Rlimit> | undefined, current: () => Rlimit, name: string): Rlimit {
  const { soft, hard } = validateOptions(next, name);
  if (soft !== undefined) validateLimitValue(soft, `${name}.soft`);
  if (hard !== undefined) validateLimitValue(hard, `${name}.hard`);
  if (soft !== undefined && hard !== undefined) return { soft, hard };
  const filled = current();
  return { soft: soft ?? filled.soft, hard: hard ?? filled.hard };
}

// The native calls leave [soft, hard] in one shared Float64Array instead of allocating an array each time.
function lastPair(): Rlimit {
  const [soft = NaN, hard = NaN] = native.rlimitPair;
  return { soft, hard };
}

/** This process's limits for `resource`. */
export function getrlimit(resource: RlimitResource): Rlimit {
  throwIfErrno(native.getrlimit(resourceNumber(resource)), 'getrlimit');
  return lastPair();
}

/**
 * Sets this process's limits. A side left out keeps its current value.
 * @throws system error EPERM (raising hard without CAP_SYS_RESOURCE), EINVAL (soft > hard).
 */
export function setrlimit(resource: RlimitResource, limits: Partial<Rlimit>): void {
  const resourceId = resourceNumber(resource);
  const { soft, hard } = mergeLimits(limits, () => getrlimit(resource), 'limits');
  throwIfErrno(native.setrlimit(resourceId, soft, hard), 'setrlimit');
}

/**
 * Reads, and with `next` sets, the limits of any process; returns the limits it had before.
 * @throws system error ESRCH (no such process), EPERM, EINVAL.
 */
export function prlimit(pid: number, resource: RlimitResource, next?: Partial<Rlimit>): Rlimit {
  validatePid(pid);
  const resourceId = resourceNumber(resource);
  const current = (): Rlimit => {
    throwIfErrno(native.prlimit(pid, resourceId), 'prlimit');
    return lastPair();
  };
  if (next === undefined) return current();
  const { soft, hard } = mergeLimits(next, current, 'next');
  throwIfErrno(native.prlimit(pid, resourceId, soft, hard), 'prlimit');
  return lastPair();
}
