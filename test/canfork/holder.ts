// Starts test/canfork/holder.cjs and talks to it. The holder loads canfork from dist/ (build it first:
// `npx tsc -p tsconfig.build.json`).
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import { afterEach } from 'vitest';
import type { ForkReport } from '../../src/index';
import { AS_NOBODY, nobodyView } from '../helpers/unprivileged';

export const distEntry = path.resolve(__dirname, '../../dist/index.js');

export interface HeldVma {
  start: bigint;
  end: bigint;
  bytes: number;
  flags: string[];
}

export class Holder {
  readonly #child: ChildProcess;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (message: { id: number; result?: unknown; error?: { message: string; code?: string } }) => {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (message.error) pending.reject(Object.assign(new Error(message.error.message), { code: message.error.code }));
      else pending.resolve(message.result);
    });
  }

  /** `asNobody`: run the holder as uid nobody, without capabilities (setpriv), e.g. for RLIMIT_NPROC. */
  static async start(options: { asNobody?: boolean } = {}): Promise<Holder> {
    // nobody runs a copy it can read when the checkout is closed to it (see nobodyView).
    const view = options.asNobody ? nobodyView() : undefined;
    const dropPrivileges = view ? { execPath: AS_NOBODY[0]!, execArgv: [...AS_NOBODY.slice(1), process.execPath], cwd: '/' } : {};
    const child = fork(view ? view.file('test/canfork/holder.cjs') : path.join(__dirname, 'holder.cjs'), [], {
      ...dropPrivileges,
      serialization: 'advanced',
      env: { ...process.env, CANFORK_DIST_ENTRY: view ? view.distEntry : distEntry },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await once(child, 'message');
    return new Holder(child);
  }

  get pid(): number {
    return this.#child.pid!;
  }

  #request<T>(op: string, args: object = {}): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#child.send({ id, op, ...args });
    });
  }

  map(bytes: number, options: { noreserve?: boolean; dontfork?: boolean; separated?: boolean } = {}): Promise<{ address: bigint; length: number }> {
    return this.#request('map', { bytes, ...options });
  }

  /**
   * Maps the next `bytes` chunk directly below the previous one (they merge into one VMA) using a placeholder
   * of `reserveBytes` in all that keeps the space free between calls. Reserve at least one chunk more than you
   * will map: the kernel aligns large anonymous mappings to 2 MiB and so looks for a slightly larger hole.
   */
  grow(bytes: number, reserveBytes: number, options: { noreserve?: boolean; dontfork?: boolean } = {}): Promise<{ address: bigint; length: number }> {
    return this.#request('grow', { bytes, reserveBytes, ...options });
  }

  vma(address: bigint): Promise<HeldVma | null> {
    return this.#request('vma', { address });
  }

  /** canFork() run inside the holder, about itself. */
  canFork(options?: { trial?: boolean; exact?: boolean }): Promise<ForkReport> {
    return this.#request('canFork', { options });
  }

  /** A real fork+exec of `true` by the holder (child_process.spawnSync). */
  fork(): Promise<{ ok: boolean; code: string | null }> {
    return this.#request('fork');
  }

  /** setrlimit() inside the holder: lowering its own limits needs no privilege (prlimit on another uid does). */
  setrlimit(resource: string, limits: { soft?: number; hard?: number }): Promise<{ soft: number; hard: number }> {
    return this.#request('setrlimit', { resource, limits });
  }

  unmapAll(): Promise<null> {
    return this.#request('unmapAll');
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = once(this.#child, 'exit');
    this.#child.disconnect();
    await exited;
  }
}

/**
 * For a test file: a `startHolder` whose holders are all stopped after each test, however the test ends.
 * Call it at the top level of the file.
 */
export function useHolders(): (options?: { asNobody?: boolean }) => Promise<Holder> {
  const holders: Holder[] = [];
  afterEach(async () => {
    await Promise.all(holders.splice(0).map((holder) => holder.stop()));
  });
  return async (options) => {
    const holder = await Holder.start(options);
    holders.push(holder);
    return holder;
  };
}
