// The public canFork API: whether a process could fork now and why not, the throwing form, and the machine's
// numbers. The reading and deciding are src/snapshot.ts's; this module holds only what src/index.ts exports.
import { constants } from 'node:os';
import type { ForkReport, MachineSummary } from './model/report';
import { checkCanForkOptions, judgeProcess, readMachineSnapshot, readMachineSummary, type CanForkOptions } from './snapshot';

export type { CanForkOptions } from './snapshot';

/**
 * Whether `pid` (default: this process) could fork now, and why not. A fork that would fail is a verdict,
 * not an exception.
 * @throws TypeError ERR_INVALID_ARG_TYPE / RangeError ERR_OUT_OF_RANGE for bad options; system error ESRCH
 *   when there is no such process.
 */
export function canFork(options?: CanForkOptions): ForkReport {
  const checked = checkCanForkOptions(options);
  return judgeProcess(readMachineSnapshot(), checked);
}

/** The machine-wide numbers of every answer: overcommit mode, RAM, swap, commit counters, thread and pid counts. */
export function machineSummary(): MachineSummary {
  return readMachineSummary();
}

/** An Error with code 'ENOMEM' or 'EAGAIN' (errno negative, as Node's), syscall 'fork', and the report that explains it. */
export interface ForkError extends Error {
  code: 'ENOMEM' | 'EAGAIN';
  errno: number;
  syscall: 'fork';
  report: ForkReport;
}

/**
 * Throws a {@link ForkError} when canFork() says a fork now would fail; returns quietly otherwise
 * (including 'at-risk' and 'unknown').
 */
export function assertCanFork(options?: CanForkOptions): void {
  const report = canFork(options);
  if (report.ok) return;
  const [first] = report.reasons;
  const code = first?.code ?? 'ENOMEM';
  const causes = report.reasons.map((reason) => `${reason.code} ${reason.cause}: ${reason.message}`).join('; ');
  const error = new Error(`fork of pid ${report.pid} would fail: ${causes}`) as ForkError;
  error.code = code;
  error.errno = -constants.errno[code];
  error.syscall = 'fork';
  error.report = report;
  Error.captureStackTrace(error, assertCanFork);
  throw error;
}
