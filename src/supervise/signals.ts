// Sending a signal so that a stopped process acts on it, and telling "gone" from "not allowed".
import { constants } from 'node:os';
import type { SystemError } from '../errors';

const { SIGCONT, SIGKILL, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU } = constants.signals;
const JOB_CONTROL = new Set([0, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU]);

/**
 * Whether SIGCONT should follow `signal`: a stopped process keeps every signal but SIGKILL pending until it
 * is continued (kernel/signal.c), so a SIGTERM to a stopped tree would wait for ever. Never after 0 or a
 * job-control signal, whose meaning SIGCONT would undo.
 */
export function continueAfter(signal: number): boolean {
  return !JOB_CONTROL.has(signal) && signal !== SIGKILL;
}

/** kill(2) through process.kill: 'ok', 'gone' (ESRCH) or the errno code (EPERM...). EINVAL is thrown. */
export function sendSignal(target: number, signal: number): 'ok' | 'gone' | string {
  try {
    process.kill(target, signal);
    return 'ok';
  } catch (error) {
    const code = (error as SystemError).code;
    if (code === 'ESRCH') return 'gone';
    if (code === 'EINVAL' || code === 'ERR_UNKNOWN_SIGNAL') throw error;
    return code;
  }
}

export { SIGCONT, SIGKILL };
