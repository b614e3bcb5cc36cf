// The sysctls fork depends on: /proc/sys/vm (overcommit, reserves) and /proc/sys/kernel (threads-max, pid_max).
import { readKeptSysctl } from './kept-file';
import { ProcfsParseError } from './parse-error';

/** vm.overcommit_memory: 0 heuristic, 1 always, 2 never (the model names them: OVERCOMMIT_MODE_NAMES). */
export type OvercommitMode = 0 | 1 | 2;

export interface VmSysctls {
  overcommitMemory: OvercommitMode;
  overcommitRatio: number;
  overcommitKbytes: number;
  adminReserveKbytes: number;
  userReserveKbytes: number;
}

export interface KernelSysctls {
  threadsMax: number;
  pidMax: number;
}

/** Parses a one-number sysctl file such as /proc/sys/vm/overcommit_memory. */
export function parseSysctlNumber(text: string, path?: string): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) throw new ProcfsParseError(`expected one non-negative integer, got '${trimmed.slice(0, 40)}'`, path, 1);
  const value = Number(trimmed);
  if (!Number.isSafeInteger(value)) throw new ProcfsParseError(`value ${trimmed} is not exact`, path, 1);
  return value;
}

export function parseOvercommitMode(text: string, path?: string): OvercommitMode {
  const value = parseSysctlNumber(text, path);
  if (value !== 0 && value !== 1 && value !== 2) throw new ProcfsParseError(`unknown overcommit mode ${value}`, path, 1);
  return value;
}

function readNumber(path: string): number {
  return parseSysctlNumber(readKeptSysctl(path), path);
}

export function readOvercommitMode(): OvercommitMode {
  const path = '/proc/sys/vm/overcommit_memory';
  return parseOvercommitMode(readKeptSysctl(path), path);
}

/** vm.admin_reserve_kbytes and vm.user_reserve_kbytes: only mode 2 (and the pre-5.2 mode 0) subtract them. */
export function readReserveSysctls(): Pick<VmSysctls, 'adminReserveKbytes' | 'userReserveKbytes'> {
  return {
    adminReserveKbytes: readNumber('/proc/sys/vm/admin_reserve_kbytes'),
    userReserveKbytes: readNumber('/proc/sys/vm/user_reserve_kbytes'),
  };
}

export function readVmSysctls(): VmSysctls {
  return {
    overcommitMemory: readOvercommitMode(),
    overcommitRatio: readNumber('/proc/sys/vm/overcommit_ratio'),
    overcommitKbytes: readNumber('/proc/sys/vm/overcommit_kbytes'),
    adminReserveKbytes: readNumber('/proc/sys/vm/admin_reserve_kbytes'),
    userReserveKbytes: readNumber('/proc/sys/vm/user_reserve_kbytes'),
  };
}

export function readKernelSysctls(): KernelSysctls {
  return {
    threadsMax: readNumber('/proc/sys/kernel/threads-max'),
    pidMax: readNumber('/proc/sys/kernel/pid_max'),
  };
}
