// waitpid for one child, its status as a tagged union (nix's WaitStatus).
import { native, type NativeWaitStatus } from './binding';
import { throwIfErrno } from './errors';
import { signalName } from './spawn/signals';
import { validatePid, validateOptions, optionalBoolean } from './validate';

export type WaitStatus =
  | { pid: number; kind: 'exited'; exitCode: number }
  | { pid: number; kind: 'signaled'; signal: NodeJS.Signals | number; coreDumped: boolean }
  | { pid: number; kind: 'stopped'; signal: NodeJS.Signals | number }
  | { pid: number; kind: 'continued' };

export interface WaitpidOptions {
  /** WNOHANG: return null at once while the child is still running. */
  nohang?: boolean;
}

/** @internal The status word from native code, decoded. Signals by name where Node knows one. */
export function toWaitStatus(pid: number, [kind, value, coreDumped]: NativeWaitStatus): WaitStatus {
  const signal = signalName(value) ?? value;
  const { WAIT_EXITED, WAIT_SIGNALED, WAIT_STOPPED } = native.constants;
  if (kind === WAIT_EXITED) return { pid, kind: 'exited', exitCode: value };
  if (kind === WAIT_SIGNALED) return { pid, kind: 'signaled', signal, coreDumped };
  if (kind === WAIT_STOPPED) return { pid, kind: 'stopped', signal };
  return { pid, kind: 'continued' };
}

/**
 * Waits for a change of state of one child (`WUNTRACED | WCONTINUED`): exit, death by signal, stop or
 * continue. Blocks the calling thread unless `nohang`.
 * @throws RangeError ERR_OUT_OF_RANGE for `pid <= 0` (process-group waits would steal child_process's
 *   children); system error ECHILD (`syscall: 'waitpid'`) for a pid that is not a child of this process.
 */
export function waitpid(pid: number, options?: WaitpidOptions): WaitStatus | null {
  validatePid(pid);
  const { nohang } = validateOptions(options);
  const result = throwIfErrno(native.waitpid(pid, optionalBoolean(nohang, 'options.nohang')), 'waitpid');
  if (result === null) return null;
  const [kind, value, coreDumped, waited] = result;
  return toWaitStatus(waited, [kind, value, coreDumped]);
}
