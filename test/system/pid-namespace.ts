// A fresh pid namespace with its own kernel.pid_max, filled by a parent that never waits (test/system/
// pid-namespace-init.cjs as its init, zombie-parent.pl as the parent). Nothing on the host changes: pid_max is per
// pid namespace since Linux 6.14, and killing the init ends the namespace and every process in it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { release } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach } from 'vitest';
import type { ForkReport } from '../../src/index';
import { distEntry } from '../canfork/holder';

/** Why the namespace tests cannot run here ('' when they can): root, unshare (util-linux) and perl (perl-base). */
export function namespaceSkipReason(): string {
  if (process.getuid?.() !== 0) return 'pid namespace tests need root (unshare --pid, and writing the namespace\'s pid_max)';
  for (const [tool, pkg] of [['unshare', 'util-linux'], ['perl', 'perl-base']] as const) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error) return `pid namespace tests need ${tool} (Debian package ${pkg})`;
  }
  if (spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { stdio: 'ignore' }).status !== 0) {
    return 'unshare --pid --fork --mount-proc fails here (no CAP_SYS_ADMIN, or pid namespaces are off)';
  }
  // Before 6.14 kernel.pid_max is one machine-wide value: the probe's write would change the host's. Only
  // a kernel that keeps it per pid namespace is asked at all.
  const [major = 0, minor = 0] = release().split('.').map((part) => Number.parseInt(part, 10));
  if (major < 6 || (major === 6 && minor < 14)) return `kernel.pid_max is per pid namespace only since Linux 6.14 (this is ${release()})`;
  const probe = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'sh', '-c', 'echo 400 > /proc/sys/kernel/pid_max && cat /proc/sys/kernel/pid_max'], { encoding: 'utf8' });
  if (probe.stdout.trim() !== '400') return 'a pid namespace cannot set its own kernel.pid_max here (Linux 6.14 or later is needed)';
  return '';
}

function statusField(pid: number, name: string): string | null {
  try {
    return new RegExp(`^${name}:\\t(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** The children of `pid` (by PPid), from the host's /proc. */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number).filter((child) => statusField(child, 'PPid') === String(pid));
}

export function zombieChildrenOf(pid: number): number {
  return childrenOf(pid).filter((child) => statusField(child, 'State')?.startsWith('Z')).length;
}

type Reply = { id?: number; ready?: boolean; made?: string; parentPid?: number; result?: unknown; error?: { message: string } };

export class PidNamespace {
  readonly #unshare: ChildProcess;
  readonly #replies = new Map<number, (reply: Reply) => void>();
  #nextId = 1;
  /** The zombie parent's first report: 'made N EAGAIN' when its fork failed. */
  made = '';
  /** Host pids of the namespace's init and of the zombie parent. */
  initPid = 0;
  parentPid = 0;
  /** The zombie parent's pid inside the namespace. */
  parentNamespacePid = 0;
  /** The namespace's inode (pid:[N]). */
  namespace = 0;
  /** unshare's stderr, for the error when the namespace does not come up. */
  #stderr = '';

  /** The host pid of unshare (this process's child). */
  get unsharePid(): number {
    return this.#unshare.pid!;
  }

  private constructor(unshare: ChildProcess) {
    this.#unshare = unshare;
  }

  static async start(pidMax: number, zombies = 0): Promise<PidNamespace> {
    const unshare = spawn('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, path.join(__dirname, 'pid-namespace-init.cjs')], {
      env: { ...process.env, CANFORK_DIST_ENTRY: distEntry, NAMESPACE_PID_MAX: String(pidMax), ZOMBIES: String(zombies) },
      // unshare --fork prints 'sigprocmask unblock failed' under Node's signal mask; kept for errors only.
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const namespace = new PidNamespace(unshare);
    unshare.stderr!.on('data', (chunk: Buffer) => { namespace.#stderr += chunk.toString(); });
    const lines = createInterface({ input: unshare.stdout! });
    const ready = new Promise<Reply>((resolve, reject) => {
      unshare.once('exit', (code) => reject(new Error(`the namespace's init exited (${code}) before it was ready: ${namespace.#stderr}`)));
      lines.on('line', (line) => {
        const reply = JSON.parse(line) as Reply;
        if (reply.ready) resolve(reply);
        else if (reply.id !== undefined) namespace.#replies.get(reply.id)?.(reply);
      });
    });
    const first = await ready;
    namespace.made = first.made ?? '';
    namespace.parentNamespacePid = first.parentPid ?? 0;
    [namespace.initPid = 0] = childrenOf(unshare.pid!);
    [namespace.parentPid = 0] = childrenOf(namespace.initPid);
    namespace.namespace = Number(/\d+/.exec(readlinkSync(`/proc/${namespace.parentPid}/ns/pid`))![0]);
    return namespace;
  }

  request<T>(op: string, args: object = {}): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#replies.set(id, (reply) => (reply.error ? reject(new Error(reply.error.message)) : resolve(reply.result as T)));
      this.#unshare.stdin!.write(`${JSON.stringify({ id, op, ...args })}\n`);
    });
  }

  /** A line to the zombie parent ('fork', 'reap'), and its answer. */
  parent(line: string): Promise<string> {
    return this.request('parent', { line });
  }

  /** canFork() run by the namespace's init (its /proc is the namespace's own). */
  canForkInside(options: { pid?: number; trial?: boolean } = {}): Promise<ForkReport> {
    return this.request('canFork', { options });
  }

  /** SIGKILL to the init ends the namespace: the kernel kills and reaps everything in it. */
  async stop(): Promise<void> {
    if (this.#unshare.exitCode !== null || this.#unshare.signalCode !== null) return;
    const exited = once(this.#unshare, 'exit');
    if (this.initPid > 0) process.kill(this.initPid, 'SIGKILL');
    else this.#unshare.kill('SIGKILL');
    await exited;
  }
}

/** For a test file: namespaces started through it are ended after each test. */
export function useNamespaces(): (pidMax: number, zombies?: number) => Promise<PidNamespace> {
  const started: PidNamespace[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((namespace) => namespace.stop()));
  });
  return async (pidMax, zombies) => {
    const namespace = await PidNamespace.start(pidMax, zombies);
    started.push(namespace);
    return namespace;
  };
}
