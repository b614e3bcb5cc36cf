// A process group that outlives its leader. After the leader exits and is reaped, its pid number stays
// allocated while any member of the group lives (the group holds the struct pid; kernel/pid.c), so
// kill(-pgid) still reaches exactly the members. Once the last member is gone the number may be reused, and
// a new process could lead a new group under it: so before signalling a leaderless group we look for a live
// member in /proc (same pgrp and session as ours), and once none is found the group is dead for good.
import { continueAfter, sendSignal, SIGCONT } from './signals';
import { isLive, listPids, readStat } from './proc';

export class TrackedGroup {
  readonly pgid: number;
  /** The session the group was made in: a group is never moved across sessions (setpgid's rule). */
  readonly session: number;
  #leaderReaped = false;
  #dead = false;

  constructor(pgid: number, session: number) {
    this.pgid = pgid;
    this.session = session;
  }

  /** The leader (our child) has been reaped: from now on membership is checked before every signal. */
  leaderReaped(): void {
    this.#leaderReaped = true;
  }

  /** Live (not zombie) members found in /proc; empty once the group is gone. Scans every pid: call rarely. */
  liveMembers(): number[] {
    if (this.#dead) return [];
    // The cheap answer first: no member at all, not even a zombie (the common case at the leader's exit).
    if (this.#leaderReaped && sendSignal(-this.pgid, 0) === 'gone') {
      this.#dead = true;
      return [];
    }
    const members: number[] = [];
    for (const pid of listPids()) {
      const stat = readStat(pid);
      if (isLive(stat) && stat.pgrp === this.pgid && stat.session === this.session) members.push(pid);
    }
    if (members.length === 0 && this.#leaderReaped) this.#dead = true;
    return members;
  }

  /** Whether any member can still act on a signal (always true while the leader is unreaped). */
  hasMembers(): boolean {
    if (!this.#leaderReaped) return true;
    return this.liveMembers().length > 0;
  }

  /**
   * Sends `signal` to the group, then SIGCONT (unless the signal is 0, SIGKILL or job control) so that
   * stopped members act on it. 'ok' when a member was signalled, 'gone' when none lives, else the errno code.
   */
  signal(signal: number): 'ok' | 'gone' | string {
    if (this.#dead || !this.hasMembers()) return 'gone';
    const outcome = sendSignal(-this.pgid, signal);
    if (outcome === 'ok' && continueAfter(signal)) sendSignal(-this.pgid, SIGCONT);
    if (outcome === 'gone' && this.#leaderReaped) this.#dead = true;
    return outcome;
  }
}
