// Random and malformed text into every /proc and /sys parser: a parse either succeeds or throws
// ProcfsParseError; nothing else may come out (no TypeError from a missing match group, no RangeError
// from BigInt, no hang). Inputs: fully random strings, real files of this machine mutated line by line,
// and well-formed files built from random values, which must also parse back to those values.
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAuxvPageSize } from '../../src/procfs/auxv';
import { parseCensusStatus } from '../../src/procfs/census';
import { parseCgroupMounts, parsePidsCurrent, parsePidsMax, parseProcCgroup } from '../../src/procfs/cgroup';
import { parseLimits } from '../../src/procfs/limits';
import { parseLoadavg } from '../../src/procfs/loadavg';
import { possiblyAccountableVmas, summariseVmas } from '../../src/model/memory';
import { parseMaps, parseSmaps } from '../../src/procfs/maps';
import { summarisePrivateVmas } from '../../src/snapshot';
import { parseMeminfo } from '../../src/procfs/meminfo';
import { ProcfsParseError } from '../../src/procfs/parse-error';
import { parseStatus } from '../../src/procfs/status';
import { parseOvercommitMode, parseSysctlNumber } from '../../src/procfs/sysctl';
import { parseStat } from '../../src/supervise/proc';

const RUNS = Number(process.env.CANFORK_FUZZ_RUNS ?? 300);

type Parser = (text: string, path?: string) => unknown;

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

// Real texts of this machine, the seeds for mutation.
const samples: Record<string, string> = {
  limits: read('/proc/self/limits'),
  maps: read('/proc/self/maps'),
  smaps: read('/proc/self/smaps').split('\n').slice(0, 400).join('\n'),
  meminfo: read('/proc/meminfo'),
  status: read('/proc/self/status'),
  stat: read('/proc/self/stat'),
  cgroup: read('/proc/self/cgroup'),
  mountinfo: read('/proc/self/mountinfo'),
  loadavg: read('/proc/loadavg'),
  sysctl: read('/proc/sys/kernel/pid_max'),
  overcommit: read('/proc/sys/vm/overcommit_memory'),
  pidsMax: read('/sys/fs/cgroup/pids/pids.max') || 'max\n',
  pidsCurrent: read('/sys/fs/cgroup/pids/pids.current') || '12\n',
};

const parsers: Array<[string, Parser, string]> = [
  ['parseLimits', parseLimits, 'limits'],
  ['parseMaps', parseMaps, 'maps'],
  ['summarisePrivateVmas', (text, path) => summarisePrivateVmas(text, 4096, path), 'maps'],
  ['parseSmaps', parseSmaps, 'smaps'],
  ['parseMeminfo', parseMeminfo, 'meminfo'],
  ['parseStatus', parseStatus, 'status'],
  ['parseCensusStatus', parseCensusStatus, 'status'],
  ['parseStat', (text) => parseStat(1, text), 'stat'],
  ['parseProcCgroup', parseProcCgroup, 'cgroup'],
  ['parseCgroupMounts', parseCgroupMounts, 'mountinfo'],
  ['parseLoadavg', parseLoadavg, 'loadavg'],
  ['parseSysctlNumber', parseSysctlNumber, 'sysctl'],
  ['parseOvercommitMode', parseOvercommitMode, 'overcommit'],
  ['parsePidsMax', parsePidsMax, 'pidsMax'],
  ['parsePidsCurrent', parsePidsCurrent, 'pidsCurrent'],
];

/** Runs the parser; returns null on success or a typed parse error, the stray error otherwise. */
function strayError(parse: Parser, text: string): unknown {
  try {
    parse(text, '/proc/fuzz');
    return null;
  } catch (error) {
    return error instanceof ProcfsParseError ? null : error;
  }
}

// Characters procfs text is made of, plus the ones that break naive parsers.
const procChar = fc.constantFrom(...'0123456789abcdef-: \t\nkBmaxrwxps/()[]._', '\u0000', '\r', 'é', '\uFFFF', '𝄞', '__proto__', 'constructor', ' kB', 'unlimited');
const procText = fc.array(procChar, { maxLength: 200 }).map((parts) => parts.join(''));

// One edit to one line of a real file: drop, duplicate, truncate, replace a field, insert junk.
function mutated(sample: string): fc.Arbitrary<string> {
  const lines = sample.split('\n');
  return fc.tuple(fc.nat(Math.max(lines.length - 1, 0)), fc.nat(7), fc.nat(200), fc.string({ unit: 'binary', maxLength: 20 }), procText)
    .map(([index, edit, cut, junk, text]) => {
      const copy = [...lines];
      const line = copy[index] ?? '';
      const fields = line.split(/(\s+)/);
      switch (edit) {
        case 0: copy.splice(index, 1); break;
        case 1: copy.splice(index, 0, line); break;
        case 2: copy[index] = line.slice(0, cut % (line.length + 1)); break;
        case 3: fields[cut % Math.max(fields.length, 1)] = junk; copy[index] = fields.join(''); break;
        case 4: copy[index] = `${line}${junk}`; break;
        case 5: copy.splice(index, 0, text); break;
        case 6: fields[cut % Math.max(fields.length, 1)] = '9'.repeat(1 + (cut % 40)); copy[index] = fields.join(''); break;
        default: copy[index] = line.replace(/\d/g, (digit) => (cut % 2 ? '-' : digit));
      }
      return copy.join('\n');
    });
}

describe('procfs/sysfs parsers under random and malformed text', () => {
  it.each(parsers)('%s: random text gives a result or ProcfsParseError, nothing else', (_, parse) => {
    fc.assert(fc.property(fc.oneof(procText, fc.string({ unit: 'binary', maxLength: 300 })), (text) => {
      expect(strayError(parse, text)).toBeNull();
    }), { numRuns: RUNS });
  });

  it.each(parsers)('%s: this machine\'s file with one line mutated gives a result or ProcfsParseError', (_, parse, sample) => {
    const text = samples[sample]!;
    expect(strayError(parse, text)).toBeNull(); // the real file parses
    fc.assert(fc.property(mutated(text), (variant) => {
      expect(strayError(parse, variant)).toBeNull();
    }), { numRuns: RUNS });
  });

  it('summarisePrivateVmas agrees with parseMaps + possiblyAccountableVmas + summariseVmas: same summary or same error', () => {
    const outcome = (summarise: () => unknown): unknown => {
      try {
        return { summary: summarise() };
      } catch (error) {
        return { error };
      }
    };
    // Maps lines built from random fields, some of them out of shape, besides random and mutated text.
    // Starts below and above 2^53 (where the scanner switches to BigInt); a length of 0 is an empty range.
    const start = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 48n }), fc.bigInt({ min: 2n ** 52n, max: 2n ** 64n - 2n ** 41n }));
    const range = fc.tuple(start, fc.bigInt({ min: 0n, max: 2n ** 40n })).map(([from, length]) => `${from.toString(16)}-${(from + length).toString(16)}`);
    const field = (good: fc.Arbitrary<string>): fc.Arbitrary<string> => fc.oneof({ weight: 30, arbitrary: good }, { weight: 1, arbitrary: procText });
    const hex = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((value) => value.toString(16));
    const line = fc.tuple(field(range), field(fc.constantFrom('rw-p', 'r--s', '---p', 'r-xp')), field(hex), field(fc.constantFrom('00:00', 'fd:01')),
      field(fc.nat().map(String)), field(fc.constantFrom('', ' ', '      [heap]', ' /a b (deleted)', '   [vsyscall]')))
      .map(([addresses, perms, offset, device, inode, path]) => `${addresses} ${perms} ${offset} ${device} ${inode}${path}`);
    const built = fc.array(line, { maxLength: 12 }).map((lines) => lines.join('\n'));
    fc.assert(fc.property(fc.oneof(built, procText, mutated(samples.maps!)), (text) => {
      expect(outcome(() => summarisePrivateVmas(text, 4096, '/proc/fuzz'))).toEqual(outcome(() => summariseVmas(possiblyAccountableVmas(parseMaps(text, '/proc/fuzz')), 4096)));
    }), { numRuns: RUNS * 3 });
  });

  it('parseAuxvPageSize: random bytes give a page size or ProcfsParseError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      expect(strayError((text) => parseAuxvPageSize(Buffer.from(bytes), text), '')).toBeNull();
    }), { numRuns: RUNS });
  });
});

describe('well-formed files built from random values parse back to them', () => {
  const limitValue = fc.oneof(fc.constant(Infinity), fc.nat({ max: Number.MAX_SAFE_INTEGER }));

  it('limits', () => {
    const titles = ['Max cpu time', 'Max file size', 'Max data size', 'Max stack size', 'Max core file size', 'Max resident set',
      'Max processes', 'Max open files', 'Max locked memory', 'Max address space', 'Max file locks', 'Max pending signals',
      'Max msgqueue size', 'Max nice priority', 'Max realtime priority', 'Max realtime timeout'];
    const resources = ['cpu', 'fsize', 'data', 'stack', 'core', 'rss', 'nproc', 'nofile', 'memlock', 'as', 'locks', 'sigpending',
      'msgqueue', 'nice', 'rtprio', 'rttime'];
    fc.assert(fc.property(fc.array(fc.tuple(limitValue, limitValue), { minLength: 16, maxLength: 16 }), (values) => {
      const show = (value: number): string => (value === Infinity ? 'unlimited' : String(value));
      // fs/proc/base.c proc_pid_limits: "%-25s %-20s %-20s %-10s\n".
      const text = ['Limit                     Soft Limit           Hard Limit           Units     ',
        ...values.map(([soft, hard], i) => `${titles[i]!.padEnd(25)} ${show(soft).padEnd(20)} ${show(hard).padEnd(20)} ${'units'.padEnd(10)}`)]
        .join('\n');
      const parsed = parseLimits(`${text}\n`) as Record<string, { soft: number; hard: number }>;
      resources.forEach((resource, i) => expect(parsed[resource]).toEqual({ soft: values[i]![0], hard: values[i]![1] }));
    }), { numRuns: RUNS });
  });

  it('maps and smaps', () => {
    const vma = fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 47n }), fc.bigInt({ min: 1n, max: 2n ** 40n }), fc.constantFrom('r', '-'),
      fc.constantFrom('w', '-'), fc.constantFrom('x', '-'), fc.constantFrom('p', 's'), fc.nat(), fc.constantFrom('', '[heap]', '/usr/lib/a b.so (deleted)'),
      fc.subarray(['rd', 'wr', 'mr', 'mw', 'ac', 'dc', 'nr', 'sd']));
    fc.assert(fc.property(fc.array(vma, { maxLength: 20 }), (vmas) => {
      const lines = vmas.map(([start, length, r, w, x, p, inode, path]) =>
        `${start.toString(16).padStart(8, '0')}-${(start + length).toString(16).padStart(8, '0')} ${r}${w}${x}${p} 00000000 00:00 ${inode}${path ? ' '.repeat(10) + path : ''}`);
      const parsed = parseMaps(lines.join('\n') + '\n');
      expect(parsed.map((v) => [v.start, v.end, v.writable, v.shared, v.inode, v.path]))
        .toEqual(vmas.map(([start, length, , w, , p, inode, path]) => [start, start + length, w === 'w', p === 's', inode, path]));
      const smaps = lines.map((line, i) => `${line}\nSize:                  4 kB\nRss:                   0 kB\nVmFlags: ${vmas[i]![8].join(' ')} \n`).join('');
      expect(parseSmaps(smaps).map((v) => v.vmFlags)).toEqual(vmas.map((v) => v[8]));
    }), { numRuns: RUNS });
  });

  it('meminfo', () => {
    const names = ['MemTotal', 'MemFree', 'Buffers', 'Cached', 'Shmem', 'SwapCached', 'SReclaimable', 'SwapTotal', 'SwapFree', 'CommitLimit', 'Committed_AS'];
    fc.assert(fc.property(fc.array(fc.nat({ max: 2 ** 40 }), { minLength: names.length, maxLength: names.length }), (kilobytes) => {
      const text = names.map((name, i) => `${`${name}:`.padEnd(16)}${String(kilobytes[i]).padStart(8)} kB`).join('\n') + '\nHugePages_Total:       0\n';
      const parsed = parseMeminfo(text);
      expect(parsed.memTotalBytes).toBe(kilobytes[0]! * 1024);
      expect(parsed.committedBytes).toBe(kilobytes[10]! * 1024);
    }), { numRuns: RUNS });
  });

  it('status and cgroup files', () => {
    fc.assert(fc.property(fc.nat({ max: 2 ** 31 }), fc.nat({ max: 2 ** 31 }), fc.nat({ max: 2 ** 22 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      fc.array(fc.stringMatching(/^[a-z0-9._-]{1,12}$/), { maxLength: 5 }), (uid, tgid, threads, capEff, segments) => {
        const text = `Name:\tnode\nTgid:\t${tgid}\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\nThreads:\t${threads}\nCapEff:\t${capEff.toString(16).padStart(16, '0')}\nVmSize:\t   1024 kB\n`;
        expect(parseStatus(text)).toMatchObject({ tgid, realUid: uid, threads, capEff, totalVmBytes: 1024 * 1024 });
        const cgroupPath = `/${segments.join('/')}`;
        expect(parseProcCgroup(`0::${cgroupPath}\n3:pids:${cgroupPath}\n`).map((m) => m.path)).toEqual([cgroupPath, cgroupPath]);
        expect(parsePidsMax(`${threads}\n`)).toBe(threads);
        expect(parsePidsCurrent(`${tgid}\n`)).toBe(tgid);
      }), { numRuns: RUNS });
  });
});

describe('real files of every process on this machine parse', () => {
  it('limits, status, cgroup and maps of every pid (skipping those that vanish or deny)', () => {
    let parsed = 0;
    for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      for (const [file, parse] of [['limits', parseLimits], ['status', parseStatus], ['cgroup', parseProcCgroup], ['maps', parseMaps]] as const) {
        let text: string;
        try {
          text = readFileSync(`/proc/${entry}/${file}`, 'utf8');
        } catch {
          continue; // exited, or maps of a process we may not ptrace-read
        }
        parse(text, `/proc/${entry}/${file}`);
        parsed++;
      }
    }
    expect(parsed).toBeGreaterThan(20);
  });
});
