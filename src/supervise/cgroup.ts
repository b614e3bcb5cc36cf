// The life of one supervised cgroup: made empty for one child, every process in it signalled or killed on
// demand, removed once empty. v2: the child is cloned straight into it (CLONE_INTO_CGROUP through the
// directory fd) and cgroup.kill ends everything at once. v1 has neither: the spawning thread steps into the
// new cgroup for the clone (v1 places threads, and a child starts in its creating thread's cgroups) and
// steps back, and a kill freezes the cgroup, signals every member, thaws, and repeats until it is empty.
import { closeSync, constants as fsConstants, mkdirSync, openSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { systemError, type SystemError } from '../errors';
import { currentThreadId, threadCgroupPath, cgroupDirectory, type CgroupSite } from './cgroup-site';
import { parsePidList } from './proc';
import { continueAfter, sendSignal, SIGCONT, SIGKILL } from './signals';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Blocks this thread for `ms` (spawnSync paths and process exit, where no event loop turns). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

let created = 0;
const live = new Set<SupervisedCgroup>();
let exitHookInstalled = false;

// A Node process that exits (process.exit, the end of the loop) takes its supervised trees with it.
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    // Bounded: a process stuck in uninterruptible sleep must not hold the exit for long.
    for (const cgroup of live) cgroup.destroySync(1000);
  });
}

function errnoOf(error: unknown): number {
  const errno = (error as SystemError).errno;
  return typeof errno === 'number' ? -errno : 0;
}

// Writing to a cgroup control file: errors keep the file's path, as fs's do.
function writeControl(path: string, text: string): void {
  writeFileSync(path, text);
}

function readOptionalText(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENODEV') return null;
    throw error;
  }
}

export class SupervisedCgroup {
  readonly site: CgroupSite;
  readonly directory: string;
  #directoryFd = -1;
  #killFd = -1;
  #removed = false;
  #returnTo: string | null = null;

  private constructor(site: CgroupSite, directory: string) {
    this.site = site;
    this.directory = directory;
  }

  /**
   * Makes a new empty cgroup under `site`. Where the caller may not, throws the mkdir's system error with
   * the path (EACCES, EPERM, EROFS...) and a message saying what `cgroup: true` needs.
   */
  static create(site: CgroupSite): SupervisedCgroup {
    const directory = `${site.parent}/canfork-${process.pid}-${threadId}-${++created}`;
    try {
      mkdirSync(directory, 0o755);
    } catch (error) {
      const failure = systemError(errnoOf(error) || 1, 'mkdir', directory);
      failure.message += ': cgroup: true needs a cgroup the caller may create (root, or a delegated subtree)';
      throw failure;
    }
    const cgroup = new SupervisedCgroup(site, directory);
    live.add(cgroup);
    installExitHook();
    if (site.version === 2) {
      try {
        cgroup.#directoryFd = openSync(directory, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
      } catch (error) {
        cgroup.destroySync();
        throw error;
      }
    }
    return cgroup;
  }

  get version(): 1 | 2 {
    return this.site.version;
  }

  /** v2: the directory fd for clone3's CLONE_INTO_CGROUP (-1 on v1). Close it with releaseSpawnFds(). */
  get directoryFd(): number {
    return this.#directoryFd;
  }

  /** v2: an fd of cgroup.kill for the native spawnSync loop to write "1" into (-1 on v1). */
  killFd(): number {
    if (this.site.version === 2 && this.#killFd < 0) this.#killFd = openSync(`${this.directory}/cgroup.kill`, 'w');
    return this.#killFd;
  }

  /** Closes the fds only the spawn needed. */
  releaseSpawnFds(): void {
    if (this.#directoryFd >= 0) closeSync(this.#directoryFd);
    if (this.#killFd >= 0) closeSync(this.#killFd);
    this.#directoryFd = -1;
    this.#killFd = -1;
  }

  /** v1: moves the calling thread into this cgroup, so that the child it clones next starts in it. */
  enterThread(): void {
    if (this.site.version !== 1) return;
    const from = threadCgroupPath(this.site.controller);
    const back = from === null ? null : cgroupDirectory(this.site.mount, from);
    if (back === null) throw systemError(2, 'open', '/proc/thread-self/cgroup');
    writeControl(`${this.directory}/tasks`, String(currentThreadId()));
    this.#returnTo = back;
  }

  /** v1: moves the calling thread back where enterThread() found it. */
  leaveThread(): void {
    if (this.#returnTo === null) return;
    writeControl(`${this.#returnTo}/tasks`, String(currentThreadId()));
    this.#returnTo = null;
  }

  /** The processes in the cgroup (cgroup.procs), never this one. */
  members(): number[] {
    const text = readOptionalText(`${this.directory}/cgroup.procs`);
    return text === null ? [] : parsePidList(text).filter((pid) => pid !== process.pid);
  }

  /** Whether no process is left: v2 reads cgroup.events (zombies have left already), v1 cgroup.procs. */
  isEmpty(): boolean {
    if (this.#removed) return true;
    if (this.site.version === 2) {
      const events = readOptionalText(`${this.directory}/cgroup.events`);
      return events === null || /^populated 0$/m.test(events);
    }
    return this.members().length === 0;
  }

  #setFrozen(frozen: boolean): void {
    if (this.site.version === 2) writeControl(`${this.directory}/cgroup.freeze`, frozen ? '1' : '0');
    else if (this.site.controller === 'freezer') writeControl(`${this.directory}/freezer.state`, frozen ? 'FROZEN' : 'THAWED');
  }

  // Freezing is asynchronous; wait (bounded) until the kernel says every task is frozen.
  #waitFrozen(): void {
    for (let attempt = 0; attempt < 200; attempt++) {
      const state = this.site.version === 2
        ? /^frozen 1$/m.test(readOptionalText(`${this.directory}/cgroup.events`) ?? 'frozen 1')
        : this.site.controller !== 'freezer' || (readOptionalText(`${this.directory}/freezer.state`) ?? 'FROZEN').trim() === 'FROZEN';
      if (state) return;
      sleepSync(1);
    }
  }

  #canFreeze(): boolean {
    return this.site.version === 2 || this.site.controller === 'freezer';
  }

  /**
   * Sends `signal` to every process in the cgroup, frozen meanwhile so that none forks past the list, then
   * SIGCONT where it applies. SIGKILL kills all (see killAll). Returns how many processes were signalled.
   */
  signalAll(signal: number): number {
    if (this.#removed) return 0;
    if (signal === SIGKILL) return this.killAll();
    const freeze = this.#canFreeze() && signal !== 0;
    if (freeze) {
      this.#setFrozen(true);
      this.#waitFrozen();
    }
    let signalled = 0;
    try {
      for (const pid of this.members()) {
        if (sendSignal(pid, signal) !== 'ok') continue;
        signalled++;
        if (continueAfter(signal)) sendSignal(pid, SIGCONT);
      }
    } finally {
      if (freeze) this.#setFrozen(false);
    }
    return signalled;
  }

  /**
   * SIGKILL to every process in the cgroup. v2: one write to cgroup.kill (kernel 5.14), which also catches
   * processes forked meanwhile. v1 (and v2 before 5.14): freeze, kill every member, thaw, until none is left
   * (bounded).
   * Returns how many processes were in it.
   */
  killAll(): number {
    if (this.#removed) return 0;
    const members = this.members().length;
    if (this.site.version === 2 && members > 0) {
      try {
        writeControl(`${this.directory}/cgroup.kill`, '1');
        return members;
      } catch (error) {
        // Before Linux 5.14 there is no cgroup.kill: freeze, kill and thaw as on v1 (cgroup.freeze is 5.2).
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    for (let round = 0; round < 100; round++) {
      if (this.members().length === 0) break;
      if (this.#canFreeze()) {
        this.#setFrozen(true);
        this.#waitFrozen();
      }
      try {
        for (const pid of this.members()) sendSignal(pid, SIGKILL);
      } finally {
        if (this.#canFreeze()) this.#setFrozen(false);
      }
      if (this.members().length > 0) sleepSync(1);
    }
    return members;
  }

  /** rmdir once empty; false while a task is still leaving (EBUSY). Idempotent. */
  tryRemove(): boolean {
    if (this.#removed) return true;
    try {
      rmdirSync(this.directory);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EBUSY') return false;
      if (code !== 'ENOENT') throw error;
    }
    this.#removed = true;
    this.releaseSpawnFds();
    live.delete(this);
    return true;
  }

  /** Kill everything, wait until empty (at most `deadlineMs`), remove. For spawnSync and process exit. */
  destroySync(deadlineMs = 5000): boolean {
    if (this.#removed) return true;
    const end = Date.now() + deadlineMs;
    for (;;) {
      this.killAll();
      if (this.isEmpty() && this.tryRemove()) return true;
      if (Date.now() >= end) return false;
      sleepSync(1);
    }
  }

  /** As destroySync, without blocking the event loop between attempts. */
  async destroy(deadlineMs = 5000): Promise<boolean> {
    if (this.#removed) return true;
    const end = Date.now() + deadlineMs;
    for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
      this.killAll();
      if (this.isEmpty() && this.tryRemove()) return true;
      if (Date.now() >= end) return false;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** How many supervised cgroups this thread has made and not removed yet (for leak tests). */
export function liveCgroupCount(): number {
  return live.size;
}
