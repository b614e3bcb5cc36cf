// The model under random snapshots: its invariants hold for every input, not only for the captured ones.
// - overcommit mode 1 never fails for memory (__vm_enough_memory returns 0 at once);
// - ok implies no reasons, and a reason implies 'fails';
// - a verdict never improves when a limit shrinks or a count grows.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideMemory, summariseVmas, type MemoryInput } from '../../src/model/memory';
import type { AccountableVma, ForkVerdict } from '../../src/model/report';
import { decideTasks, type TasksInput } from '../../src/model/tasks';
import { combineDecisions } from '../../src/model/verdict';

const RUNS = Number(process.env.CANFORK_FUZZ_RUNS ?? 300);
const GiB = 2 ** 30;
const PAGE = 4096;

/** fails > unknown > at-risk > ok, as combineDecisions orders them. */
const SEVERITY: Record<ForkVerdict, number> = { ok: 0, 'at-risk': 1, unknown: 2, fails: 3 };

const bytes = (max: number): fc.Arbitrary<number> => fc.nat({ max: max / PAGE }).map((pages) => pages * PAGE);
const vma = fc.record({ start: fc.constant(0x1000n), end: fc.constant(0x2000n), bytes: bytes(64 * GiB), path: fc.constantFrom('', '[heap]') });

// The VMAs stay a list so that a test can grow one; summarised() turns them into the input as canFork() does.
type RandomMemoryInput = Omit<MemoryInput, 'vmaCharges'> & { vmas: AccountableVma[] | null };

function summarised({ vmas, ...rest }: RandomMemoryInput): MemoryInput {
  return { ...rest, vmaCharges: vmas === null ? null : summariseVmas(vmas, PAGE) };
}

const memoryInput: fc.Arbitrary<RandomMemoryInput> = fc.record({
  overcommit: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>,
  kernelBefore52: fc.boolean(),
  pageBytes: fc.constant(PAGE),
  memTotalBytes: bytes(64 * GiB),
  swapTotalBytes: bytes(16 * GiB),
  commitLimitBytes: bytes(96 * GiB),
  committedBytes: bytes(96 * GiB),
  freeEstimateBytes: bytes(64 * GiB),
  adminReserveKbytes: fc.nat({ max: 2 ** 20 }),
  userReserveKbytes: fc.nat({ max: 2 ** 20 }),
  capSysAdmin: fc.boolean(),
  totalVmBytes: fc.option(bytes(256 * GiB)),
  vmas: fc.option(fc.array(vma, { maxLength: 12 })),
  vmasExact: fc.boolean(),
});

const limit = fc.oneof(fc.constant(Infinity), fc.integer({ min: 1, max: 2 ** 22 }));
const tasksInput: fc.Arbitrary<TasksInput> = fc.record({
  realUid: fc.constantFrom(0, 1000, 65534),
  capEff: fc.constantFrom(0n, 1n << 21n, 1n << 24n, 2n ** 41n - 1n),
  nprocSoft: limit,
  nprocHard: fc.constant(Infinity),
  uidTasks: fc.option(fc.nat({ max: 2 ** 22 })),
  machineTasks: fc.nat({ max: 2 ** 22 }),
  threadsMax: fc.integer({ min: 1, max: 2 ** 22 }),
  pidMax: fc.integer({ min: 2, max: 2 ** 22 }),
  pidsInUse: fc.option(fc.nat({ max: 2 ** 22 })),
  cgroup: fc.option(fc.record({
    version: fc.constantFrom(1, 2) as fc.Arbitrary<1 | 2>,
    path: fc.constant('/a/b'),
    levels: fc.array(fc.record({ path: fc.constant('/a'), directory: fc.constant('/sys/fs/cgroup/pids/a'), current: fc.nat({ max: 5000 }), max: limit }), { maxLength: 3 }),
  })),
});

function verdictOf(memoryInput: RandomMemoryInput, tasks: TasksInput): ReturnType<typeof combineDecisions> {
  // canFork's fold (src/snapshot.ts); the task side is unknown only when the cgroup files are unreadable.
  return combineDecisions([decideMemory(summarised(memoryInput)), { ...decideTasks(tasks), unknown: false }]);
}

// Shrinks a number to a random share of itself, in whole pages for byte counts.
const share = fc.double({ min: 0, max: 1, noNaN: true });
const shrinkBytes = (value: number, factor: number): number => Math.floor((value * factor) / PAGE) * PAGE;
const shrinkCount = (value: number, factor: number): number => (value === Infinity ? Math.floor(factor * 2 ** 22) : Math.floor(value * factor));

describe('model invariants on random snapshots', () => {
  it('mode 1 is always ok for memory: no reason, never unknown', () => {
    fc.assert(fc.property(memoryInput, (input) => {
      const decision = decideMemory(summarised({ ...input, overcommit: 1 }));
      expect(decision.reasons).toEqual([]);
      expect(decision.unknown).toBe(false);
      expect(combineDecisions([decision]).verdict).not.toBe('fails');
    }), { numRuns: RUNS });
  });

  it('ok implies no reasons; reasons imply fails; every reason has an errno code and finite numbers', () => {
    fc.assert(fc.property(memoryInput, tasksInput, (memory, tasks) => {
      const result = verdictOf(memory, tasks);
      expect(result.ok).toBe(result.reasons.length === 0);
      expect(result.verdict === 'fails').toBe(!result.ok);
      for (const reason of result.reasons) {
        expect(['ENOMEM', 'EAGAIN']).toContain(reason.code);
        expect(Number.isFinite(reason.limit) && Number.isFinite(reason.value)).toBe(true);
      }
    }), { numRuns: RUNS });
  });

  it('a verdict never improves when a memory limit shrinks or the committed amount grows', () => {
    const which = fc.constantFrom('memTotalBytes', 'swapTotalBytes', 'commitLimitBytes', 'freeEstimateBytes', 'committedBytes', 'vmaGrows') ;
    fc.assert(fc.property(memoryInput, tasksInput, which, share, (memory, tasks, field, factor) => {
      const before = verdictOf(memory, tasks).verdict;
      let worse: RandomMemoryInput;
      if (field === 'committedBytes') worse = { ...memory, committedBytes: memory.committedBytes + shrinkBytes(96 * GiB, 1 - factor) };
      else if (field === 'vmaGrows') worse = { ...memory, vmas: memory.vmas?.map((v, i) => (i === 0 ? { ...v, bytes: v.bytes + shrinkBytes(64 * GiB, 1 - factor) } : v)) ?? null };
      else worse = { ...memory, [field]: shrinkBytes(memory[field], factor) };
      const after = verdictOf(worse, tasks).verdict;
      expect(SEVERITY[after], `${field}: ${before} -> ${after}`).toBeGreaterThanOrEqual(SEVERITY[before]);
    }), { numRuns: RUNS * 3 });
  });

  it('a verdict never improves when a task limit shrinks or a task count grows', () => {
    const which = fc.constantFrom('nprocSoft', 'threadsMax', 'pidMax', 'cgroupMax', 'machineTasks', 'uidTasks', 'pidsInUse');
    fc.assert(fc.property(memoryInput, tasksInput, which, share, (memory, tasks, field, factor) => {
      const before = verdictOf(memory, tasks).verdict;
      let worse: TasksInput;
      switch (field) {
        case 'nprocSoft': worse = { ...tasks, nprocSoft: shrinkCount(tasks.nprocSoft, factor) }; break;
        case 'threadsMax': worse = { ...tasks, threadsMax: Math.max(1, shrinkCount(tasks.threadsMax, factor)) }; break;
        case 'pidMax': worse = { ...tasks, pidMax: Math.max(2, shrinkCount(tasks.pidMax, factor)) }; break;
        case 'cgroupMax': worse = tasks.cgroup === null ? tasks : {
          ...tasks, cgroup: { ...tasks.cgroup, levels: tasks.cgroup.levels.map((level) => ({ ...level, max: shrinkCount(level.max, factor) })) },
        }; break;
        case 'machineTasks': worse = { ...tasks, machineTasks: tasks.machineTasks + Math.floor((1 - factor) * 1000) }; break;
        case 'pidsInUse': worse = { ...tasks, pidsInUse: tasks.pidsInUse === null ? null : (tasks.pidsInUse ?? 0) + Math.floor((1 - factor) * 1000) }; break;
        default: worse = { ...tasks, uidTasks: tasks.uidTasks === null ? null : tasks.uidTasks + Math.floor((1 - factor) * 1000) };
      }
      const after = verdictOf(memory, worse).verdict;
      expect(SEVERITY[after], `${field}: ${before} -> ${after}`).toBeGreaterThanOrEqual(SEVERITY[before]);
    }), { numRuns: RUNS * 3 });
  });
});
