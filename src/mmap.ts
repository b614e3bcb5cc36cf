// Untouched anonymous mappings and the no-touch trial allocation, the seed of every canFork check.
import { native, type NativeMapping } from './binding';
import { errnoName, illegalConstructor } from './errors';
import { optionalBoolean, validateByteLength, validateOptions } from './validate';

export interface MmapOptions {
  /** MAP_NORESERVE: not charged to overcommit accounting in modes 0 and 1 (mode 2 charges it anyway). */
  noreserve?: boolean;
  /** MADV_DONTFORK: not copied into children, so fork never checks it. */
  dontfork?: boolean;
}

const constructing = Symbol('Mapping');

/**
 * An anonymous private read-write mapping that canfork never touches: it costs address space and
 * (unless `noreserve`) commit charge, but no RSS. Released by `unmap()`, by `using`, or when collected.
 */
export class Mapping implements Disposable {
  readonly address: bigint;
  readonly length: number;
  readonly #native: NativeMapping;

  /** @internal Use {@link mmap}. */
  constructor(token: typeof constructing, handle: NativeMapping) {
    if (token !== constructing) throw illegalConstructor('use mmap()');
    this.#native = handle;
    this.address = handle.address;
    this.length = handle.length;
  }

  /** False once unmapped. */
  get mapped(): boolean {
    return this.#native.mapped;
  }

  /** Unmaps the range. Calling it again does nothing. */
  unmap(): void {
    this.#native.unmap();
  }

  [Symbol.dispose](): void {
    this.unmap();
  }
}

/**
 * Maps `length` bytes anonymous, private and read-write, without touching them.
 * @throws TypeError `ERR_INVALID_ARG_TYPE`, RangeError `ERR_OUT_OF_RANGE` for a bad length;
 *   a system error (`code: 'ENOMEM'`, `syscall: 'mmap'`) when the kernel refuses.
 */
export function mmap(length: number, options?: MmapOptions): Mapping {
  validateByteLength(length, 'length');
  const { noreserve, dontfork } = validateOptions(options);
  const handle = new native.NativeMapping(
    length,
    optionalBoolean(noreserve, 'options.noreserve'),
    optionalBoolean(dontfork, 'options.dontfork'),
  );
  return new Mapping(constructing, handle);
}

export type TrialResult = { ok: true } | { ok: false; code: string; errno: number };

/**
 * Asks the kernel's overcommit accounting for `bytes` the way fork would charge one accountable VMA:
 * a private writable mapping without MAP_NORESERVE, never touched, unmapped at once.
 */
export function tryAllocate(bytes: number): TrialResult {
  validateByteLength(bytes, 'bytes');
  const errnum = native.tryAllocate(bytes);
  return errnum === 0 ? { ok: true } : { ok: false, code: errnoName(errnum), errno: -errnum };
}

/** How many mappings made by {@link mmap} are still mapped in this process (all threads). */
export function liveMappingCount(): number {
  return native.liveMappingCount();
}
