// parseMeminfo, parseStatus and parseProcCgroup scan the text in one pass (canFork() reads these files on every call). They must
// accept and reject exactly what the split-and-regex versions they replaced did, and give the same values:
// those versions are kept here as the reference, and random and mutated texts go through both.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseProcCgroup } from '../../src/procfs/cgroup';
import { parseMeminfo } from '../../src/procfs/meminfo';
import { parseStatus } from '../../src/procfs/status';

const RUNS = Number(process.env.CANFORK_FUZZ_RUNS ?? 500);

const MEMINFO_FIELDS: Record<string, string> = {
  MemTotal: 'memTotalBytes', MemFree: 'memFreeBytes', Buffers: 'buffersBytes', Cached: 'cachedBytes', Shmem: 'shmemBytes',
  SwapCached: 'swapCachedBytes', SReclaimable: 'sReclaimableBytes', SwapTotal: 'swapTotalBytes', SwapFree: 'swapFreeBytes',
  CommitLimit: 'commitLimitBytes', Committed_AS: 'committedBytes',
};

function referenceMeminfo(text: string): Record<string, number | null> {
  const meminfo: Record<string, number | null> = { availableBytes: null };
  text.split('\n').forEach((line, index) => {
    if (line === '') return;
    const match = /^([\w()]+):\s+(\d+)(?: kB)?$/.exec(line);
    if (!match) throw new Error(`line ${index + 1}`);
    const key = MEMINFO_FIELDS[match[1]!];
    if (key !== undefined) meminfo[key] = Number(match[2]) * 1024;
    else if (match[1] === 'MemAvailable') meminfo.availableBytes = Number(match[2]) * 1024;
  });
  const missing = Object.entries(MEMINFO_FIELDS).filter(([, key]) => meminfo[key] === undefined);
  if (missing.length > 0) throw new Error('missing');
  return meminfo;
}

function referenceStatus(text: string): unknown {
  const fields = new Map<string, string>();
  text.split('\n').forEach((line, index) => {
    if (line === '') return;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`line ${index + 1}`);
    // The blanks after the colon go; a Name's trailing blanks are the process's own (comm "a " is "a ").
    fields.set(line.slice(0, colon), line.slice(colon + 1).replace(/^[ \t]+/, ''));
  });
  const get = (name: string): string => {
    const value = fields.get(name);
    if (value === undefined) throw new Error(`missing ${name}`);
    return value;
  };
  const integer = (value: string): number => {
    if (!/^\d+$/.test(value)) throw new Error('bad integer');
    return Number(value);
  };
  const uids = get('Uid').split(/\s+/);
  if (uids.length !== 4) throw new Error('uids');
  const capEff = get('CapEff');
  if (!/^[0-9a-f]{1,16}$/.test(capEff)) throw new Error('capEff');
  const vmSize = fields.get('VmSize');
  let totalVmBytes: number | null = null;
  if (vmSize !== undefined) {
    const match = /^(\d+) kB$/.exec(vmSize);
    if (!match) throw new Error('vmSize');
    totalVmBytes = Number(match[1]) * 1024;
  }
  return {
    name: fields.get('Name') ?? '', tgid: integer(get('Tgid')), realUid: integer(uids[0] ?? ''), effectiveUid: integer(uids[1] ?? ''),
    threads: integer(get('Threads')), capEff: BigInt(`0x${capEff}`), totalVmBytes,
  };
}

function referenceProcCgroup(text: string): unknown {
  return text.split('\n').flatMap((line, index) => {
    if (line === '') return [];
    const match = /^(\d+):([^:]*):(\/.*)$/.exec(line);
    if (!match) throw new Error(`line ${index + 1}`);
    const [, id = '', controllers = '', cgroupPath = '/'] = match;
    return [{ hierarchyId: Number(id), controllers: controllers === '' ? [] : controllers.split(','), path: cgroupPath }];
  });
}

/** 'ok' and the value, or 'error' and the line number the error names (undefined when it names none). */
function outcome(parse: () => unknown): [string, unknown] {
  try {
    return ['ok', parse()];
  } catch (error) {
    const line = (error as { line?: number }).line ?? Number(/line (\d+)/.exec(String((error as Error).message))?.[1] ?? Number.NaN);
    return ['error', Number.isNaN(line) ? undefined : line];
  }
}

// Characters that sit on the edges of the line rules: whitespace of every kind \s knows, colons, digits, parentheses.
const edgy = fc.constantFrom(' ', '\t', '\r', '\v', '\f', '\u00a0', '\u2028', '\u2029', '\u3000', ':', '0', '9', 'k', 'B', ' kB', '(', ')', '_', '-', '\n', 'x', 'é', '/', ',');

function mutations(seed: string): fc.Arbitrary<string> {
  const lines = seed.split('\n');
  return fc.array(fc.tuple(fc.nat({ max: lines.length - 1 }), fc.nat({ max: 80 }), fc.string({ unit: edgy, maxLength: 4 }), fc.nat({ max: 2 })),
    { minLength: 1, maxLength: 4 }).map((edits) => {
    const copy = [...lines];
    for (const [line, column, insert, remove] of edits) {
      const text = copy[line] ?? '';
      const at = Math.min(column, text.length);
      copy[line] = text.slice(0, at) + insert + text.slice(at + remove);
    }
    return copy.join('\n');
  });
}

describe('one-pass /proc parsers agree with the split-and-regex ones', () => {
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const status = readFileSync('/proc/self/status', 'utf8');
  // This machine's (cgroup v1 and the v2 hierarchy), and a v2-only one as systemd hosts have it.
  const cgroups = [readFileSync('/proc/self/cgroup', 'utf8'), '0::/user.slice/user-1000.slice/session-2.scope\n'];

  it('parseMeminfo: same values for the live file, same accept/reject and line for mutated and random texts', () => {
    expect(outcome(() => parseMeminfo(meminfo))).toEqual(outcome(() => referenceMeminfo(meminfo)));
    expect(outcome(() => parseMeminfo(meminfo))[0]).toBe('ok');
    fc.assert(fc.property(fc.oneof(mutations(meminfo), fc.string({ unit: edgy, maxLength: 60 })), (text) => {
      expect(outcome(() => parseMeminfo(text))).toEqual(outcome(() => referenceMeminfo(text)));
    }), { numRuns: RUNS });
  });

  it('parseStatus: same values for the live file, same accept/reject and line for mutated and random texts', () => {
    expect(outcome(() => parseStatus(status))).toEqual(outcome(() => referenceStatus(status)));
    expect(outcome(() => parseStatus(status))[0]).toBe('ok');
    fc.assert(fc.property(fc.oneof(mutations(status), fc.string({ unit: edgy, maxLength: 60 })), (text) => {
      const ours = outcome(() => parseStatus(text));
      const reference = outcome(() => referenceStatus(text));
      // Errors that name no line (a missing or bad field) carry different messages: only accept/reject is compared.
      expect(ours[0]).toBe(reference[0]);
      if (ours[0] === 'ok' || reference[1] !== undefined) expect(ours).toEqual(reference);
    }), { numRuns: RUNS });
  });

  it('parseProcCgroup: same memberships for the live file, same accept/reject and line for mutated and random texts', () => {
    for (const cgroup of cgroups) {
      expect(outcome(() => parseProcCgroup(cgroup))).toEqual(outcome(() => referenceProcCgroup(cgroup)));
      expect(outcome(() => parseProcCgroup(cgroup))[0]).toBe('ok');
    }
    fc.assert(fc.property(fc.oneof(...cgroups.map(mutations), fc.string({ unit: edgy, maxLength: 60 })), (text) => {
      expect(outcome(() => parseProcCgroup(text))).toEqual(outcome(() => referenceProcCgroup(text)));
    }), { numRuns: RUNS });
  });
});
