// /proc/PID/status (fs/proc/array.c proc_pid_status): the credentials and counts fork's EAGAIN checks use.
import { fieldIndex, fieldNames, type FieldNames } from './field-names';
import { ProcfsParseError } from './parse-error';

export interface ProcessStatus {
  name: string;
  tgid: number;
  /** First Uid field: the real uid, whose tasks count against RLIMIT_NPROC (copy_process). */
  realUid: number;
  effectiveUid: number;
  /** Threads of this process: each one is a task for RLIMIT_NPROC and threads-max. */
  threads: number;
  /** CapEff as a bit mask (bit n = capability n). */
  capEff: bigint;
  /** VmSize = mm->total_vm; null for kernel threads and zombies, which have no mm. */
  totalVmBytes: number | null;
}

function field(fields: Map<string, string>, name: string, path: string | undefined): string {
  const value = fields.get(name);
  if (value === undefined) throw new ProcfsParseError(`missing ${name}`, path);
  return value;
}

function integer(text: string, name: string, path: string | undefined): number {
  if (!/^\d+$/.test(text)) throw new ProcfsParseError(`bad ${name} '${text.slice(0, 40)}'`, path);
  return Number(text);
}

/**
 * The lines of a status text that `wanted` names, as name → value, the value without the blanks after the
 * colon (a Name's trailing blanks are its own). One pass, no split: canFork() and every scan read these files.
 * Every line must have a name before a colon; the others are only checked for that shape.
 */
export function statusFields(text: string, wanted: FieldNames, path?: string): Map<string, string> {
  const fields = new Map<string, string>();
  let lineNumber = 0;
  for (let start = 0; start <= text.length; lineNumber++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start) {
      const colon = text.indexOf(':', start);
      if (colon <= start || colon >= end) throw new ProcfsParseError(`unexpected line '${text.slice(start, end).slice(0, 80)}'`, path, lineNumber + 1);
      const index = fieldIndex(wanted, text, start, colon);
      if (index >= 0) {
        let value = colon + 1;
        for (let code = text.charCodeAt(value); value < end && (code === 0x09 || code === 0x20); code = text.charCodeAt(++value));
        fields.set(wanted.names[index] as string, text.slice(value, end));
      }
    }
    start = end + 1;
  }
  return fields;
}

const STATUS_FIELDS = fieldNames(['Name', 'Tgid', 'Uid', 'Threads', 'CapEff', 'VmSize']);

/** Parses the text of /proc/PID/status. */
export function parseStatus(text: string, path?: string): ProcessStatus {
  const fields = statusFields(text, STATUS_FIELDS, path);
  const uids = field(fields, 'Uid', path).split(/\s+/);
  if (uids.length !== 4) throw new ProcfsParseError(`Uid needs 4 fields, got ${uids.length}`, path);
  const capEff = field(fields, 'CapEff', path);
  if (!/^[0-9a-f]{1,16}$/.test(capEff)) throw new ProcfsParseError(`bad CapEff '${capEff.slice(0, 40)}'`, path);
  const vmSize = fields.get('VmSize');
  let totalVmBytes: number | null = null;
  if (vmSize !== undefined) {
    const match = /^(\d+) kB$/.exec(vmSize);
    if (!match) throw new ProcfsParseError(`bad VmSize '${vmSize.slice(0, 40)}'`, path);
    totalVmBytes = Number(match[1]) * 1024;
  }
  return {
    name: fields.get('Name') ?? '',
    tgid: integer(field(fields, 'Tgid', path), 'Tgid', path),
    realUid: integer(uids[0] ?? '', 'Uid', path),
    effectiveUid: integer(uids[1] ?? '', 'Uid', path),
    threads: integer(field(fields, 'Threads', path), 'Threads', path),
    capEff: BigInt(`0x${capEff}`),
    totalVmBytes,
  };
}
