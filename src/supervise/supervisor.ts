// One spawned child's supervision: which target a kill reaches (the child, its process group, or its
// cgroup), the timeout that keeps reaching a group after its leader exited, the SIGKILL that follows
// forceKillAfterDelay ms after the kill signal, and the end of a cgroup with its child.
import { SupervisedCgroup } from './cgroup';
import { TrackedGroup } from './process-group';
import { continueAfter, SIGCONT, SIGKILL } from './signals';

/** What a signal reached: 'ok' (someone got it), 'gone' (no one left), or the errno code of kill(2). */
export type SignalOutcome = 'ok' | 'gone' | string;

export interface SupervisorOptions {
  pid: number;
  /** Signals the child itself, safely against pid reuse (through its pidfd, or before it is reaped). */
  signalChild(signal: number): SignalOutcome;
  /** The child leads its own group (processGroup): the group is the target. */
  group: TrackedGroup | null;
  /** The child's own cgroup (cgroup: true): the cgroup is the target, and it ends with the child. */
  cgroup: SupervisedCgroup | null;
  /** SIGKILL this long after the kill signal when the target is still there; -1 never. */
  forceKillAfterMs: number;
  killSignal: number;
}

export class Supervisor {
  readonly #options: SupervisorOptions;
  #childExited = false;
  #forceTimer: NodeJS.Timeout | null = null;
  #timeoutTimer: NodeJS.Timeout | null = null;

  constructor(options: SupervisorOptions) {
    this.#options = options;
  }

  /** The signal reaches the whole target; SIGCONT follows for groups and cgroups (not for the bare child). */
  #signal(signal: number, continueChild: boolean): SignalOutcome {
    const { cgroup, group } = this.#options;
    if (cgroup !== null) return cgroup.signalAll(signal) > 0 ? 'ok' : 'gone';
    if (group !== null) return group.signal(signal);
    if (this.#childExited) return 'gone';
    const outcome = this.#options.signalChild(signal);
    if (outcome === 'ok' && continueChild && continueAfter(signal)) this.#options.signalChild(SIGCONT);
    return outcome;
  }

  /** Whether anything of the target can still act on a signal. */
  #targetLives(): boolean {
    const { cgroup, group } = this.#options;
    if (cgroup !== null) return !cgroup.isEmpty();
    if (group !== null) return group.hasMembers();
    return !this.#childExited;
  }

  #startForceKill(signal: number): void {
    const { forceKillAfterMs, killSignal } = this.#options;
    // As execa: only the kill signal is followed up; a SIGHUP or SIGUSR1 asked for something else.
    if (forceKillAfterMs < 0 || signal !== killSignal || signal === SIGKILL || this.#forceTimer !== null) return;
    this.#forceTimer = this.#timer(forceKillAfterMs, () => {
      this.#forceTimer = null;
      if (this.#targetLives()) this.#signal(SIGKILL, false);
    });
  }

  // Ref'd, as child_process's own timeout timer is whether or not the child is unref()ed.
  #timer(ms: number, run: () => void): NodeJS.Timeout {
    return setTimeout(run, ms);
  }

  /** kill(): the signal to the target, then the force kill timer. */
  kill(signal: number): SignalOutcome {
    const outcome = this.#signal(signal, false);
    if (outcome === 'ok') this.#startForceKill(signal);
    return outcome;
  }

  /**
   * The spawn's timeout. When it fires while the child runs, `fire(true)` may do the spawn's own kill (which
   * comes back as timeoutKill) and return true; otherwise, and after the child's exit (a group's members
   * live on), the supervisor signals the target itself.
   */
  startTimeout(timeoutMs: number, fire?: (childRunning: boolean) => boolean): void {
    if (timeoutMs <= 0) return;
    this.#timeoutTimer = this.#timer(timeoutMs, () => {
      this.#timeoutTimer = null;
      if (fire?.(!this.#childExited) === true) return;
      this.timeoutKill(this.#options.killSignal);
    });
  }

  /** The timeout's kill: as kill(), plus SIGCONT to a stopped bare child so that it acts on the signal. */
  timeoutKill(signal: number): SignalOutcome {
    const outcome = this.#signal(signal, true);
    if (outcome === 'ok') this.#startForceKill(signal);
    return outcome;
  }

  /**
   * The child has exited and been reaped. A cgroup is killed and removed now; a group's members keep the
   * timeout and the force kill alive; a bare child's timers end here.
   */
  childExited(): void {
    if (this.#childExited) return;
    this.#childExited = true;
    const { cgroup, group } = this.#options;
    group?.leaderReaped();
    const groupLives = group !== null && cgroup === null && group.hasMembers();
    if (!groupLives) this.#clearTimers();
    if (cgroup === null) return;
    // Not thrown at the caller (this runs in the exit watcher); the exit hook tries once more.
    cgroup.destroy().then(
      (removed) => removed || process.emitWarning(`canfork: cgroup ${cgroup.directory} still busy 5 s after its child's end`),
      (error: Error) => process.emitWarning(`canfork: cannot remove cgroup ${cgroup.directory}: ${error.message}`),
    );
  }

  #clearTimers(): void {
    if (this.#forceTimer !== null) clearTimeout(this.#forceTimer);
    if (this.#timeoutTimer !== null) clearTimeout(this.#timeoutTimer);
    this.#forceTimer = null;
    this.#timeoutTimer = null;
  }
}
