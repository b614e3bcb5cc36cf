// Untouched anonymous mappings and the no-touch trial allocation, the seed of every canFork check.
import { native, type NativeMappingHandle } from './binding';
import { errnoName, illegalConstructor, nativeError, throwIfErrno } from './errors';
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
  readonly #handle: NativeMappingHandle;
  #mapped = true;

  /** @internal Use {@link mmap}. */
  constructor(token: typeof constructing, handle: NativeMappingHandle) {
    if (token !== constructing) throw illegalConstructor('use mmap()');
    this.#handle = handle;
    this.address = handle.address;
    this.length = handle.length;
  }

  /** False once unmapped. */
  get mapped(): boolean {
    return this.#mapped;
  }

  /** Unmaps the range. Calling it again does nothing. */
  unmap(): void {
    if (!this.#mapped) return;
    this.#mapped = false;
    throwIfErrno(native.munmap(this.#handle), 'munmap');
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
  const wantsNoreserve = optionalBoolean(noreserve, 'options.noreserve');
  const wantsDontfork = optionalBoolean(dontfork, 'options.dontfork');
  const handle = throwIfErrno(native.mmap(length, wantsNoreserve), 'mmap');
  if (wantsDontfork) {
    const advised = native.dontfork(handle);
    if (advised < 0) {
      native.munmap(handle);
      throw nativeError(advised, 'madvise');
    }
  }
  return new Mapping(constructing, handle);
}

export type TrialResult = { ok: true } | { ok: false; code: string; errno: number };

/**
 * Asks the kernel's overcommit accounting for `bytes` the way fork would charge one accountable VMA:
 * a private writable mapping without MAP_NORESERVE, never touched, unmapped at once.
 */
export function tryAllocate(bytes: number): TrialResult {
  validateByteLength(bytes, 'bytes');
  const result = native.tryAllocate(bytes);
  return result === 0 ? { ok: true } : { ok: false, code: errnoName(-result), errno: result };
}

/** How many mappings made by {@link mmap} are still mapped in this process (all threads). */
export function liveMappingCount(): number {
  return native.liveMappingCount();
}
