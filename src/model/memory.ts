// The overcommit side of fork: dup_mmap() charges every VM_ACCOUNT, non-VM_DONTCOPY VMA of the parent
// through __vm_enough_memory() (mm/util.c). Pure functions over snapshot numbers; no I/O.
import { formatBytes } from '../format';
import { LARGEST_VMAS_LISTED, type AccountableVma, type ForkReason, type ForkWarning, type MemoryReport, type OvercommitMode } from './report';

/** The machine and process numbers the memory rules need, as read from /proc. */
export interface MemoryInput {
  overcommit: OvercommitMode;
  /** Kernels before 5.2 (commit 8c7829b04c52) used a free-memory estimate in mode 0. */
  kernelBefore52: boolean;
  pageBytes: number;
  memTotalBytes: number;
  swapTotalBytes: number;
  commitLimitBytes: number;
  committedBytes: number;
  /** For the pre-5.2 estimate only: MemFree + file pages − Shmem + SwapFree + SReclaimable. */
  freeEstimateBytes: number;
  adminReserveKbytes: number;
  userReserveKbytes: number;
  /** CAP_SYS_ADMIN in the target's CapEff waives admin_reserve (cap_vm_enough_memory). */
  capSysAdmin: boolean;
  /** The target's mm->total_vm (VmSize); bounds every VMA and their sum when maps is unreadable. */
  totalVmBytes: number | null;
  /**
   * The VMAs fork would charge, summarised. With `vmasExact` they are the `ac`, non-`dc` ones from smaps;
   * otherwise every private VMA from maps, an upper bound. null when neither maps nor smaps could be read.
   */
  vmaCharges: VmaCharges | null;
  vmasExact: boolean;
}

/**
 * All the memory rules need of the charged VMAs: their page sum and the largest few. Summarised while the
 * VMAs are read, so that a process with thousands of VMAs costs no object per VMA.
 */
export interface VmaCharges {
  /** Σ vma_pages() over the VMAs: what dup_mmap charges in all. */
  sumPages: number;
  /** Biggest first, at most LARGEST_VMAS_LISTED; of equal sizes the one listed first (lower address) comes first. */
  largest: AccountableVma[];
}

export interface MemoryDecision {
  report: MemoryReport;
  reasons: ForkReason[];
  warnings: ForkWarning[];
  /** Headroom under 10 % of the limit. */
  nearLimit: boolean;
  /** True when the numbers were not enough to decide (data unreadable and the bounds do not settle it). */
  unknown: boolean;
  /** What fork would charge at once in the deciding check: the largest VMA (modes 0, 1) or the sum (mode 2). */
  chargeBytes: number;
}

/** vm.overcommit_memory's modes by name (Documentation/mm/overcommit-accounting.rst). */
export const OVERCOMMIT_MODE_NAMES: Readonly<Record<OvercommitMode, string>> = {
  0: 'heuristic',
  1: 'always overcommit',
  2: 'strict, never overcommit',
};

/** Headroom under this share of a limit makes the verdict 'at-risk'. */
export const AT_RISK_SHARE = 0.1;

/** Every private VMA: an upper bound on what fork charges. Shared mappings are never accountable (accountable_mapping). */
export function possiblyAccountableVmas(vmas: ReadonlyArray<{ start: bigint; end: bigint; bytes: number; shared: boolean; path: string }>): AccountableVma[] {
  return vmas.filter((vma) => !vma.shared).map(({ start, end, bytes, path }) => ({ start, end, bytes, path }));
}

/** The VMAs dup_mmap charges: VM_ACCOUNT (`ac`) and not VM_DONTCOPY (`dc`). */
export function accountableVmas(vmas: ReadonlyArray<{ start: bigint; end: bigint; bytes: number; path: string; vmFlags: string[] }>): AccountableVma[] {
  return vmas
    .filter((vma) => vma.vmFlags.includes('ac') && !vma.vmFlags.includes('dc'))
    .map(({ start, end, bytes, path }) => ({ start, end, bytes, path }));
}

/** Whether a VMA of `bytes` would enter `largest` (biggest first): the test before building its object. */
export function entersLargest(largest: readonly AccountableVma[], bytes: number): boolean {
  const last = largest[LARGEST_VMAS_LISTED - 1];
  return last === undefined || bytes > last.bytes;
}

/** Inserts `vma` into `largest` (biggest first, at most LARGEST_VMAS_LISTED); an equal size goes after those listed. */
export function insertLargest(largest: AccountableVma[], vma: AccountableVma): void {
  if (!entersLargest(largest, vma.bytes)) return;
  // Insertion into a short sorted list: cheaper than sorting every VMA on each call.
  const at = largest.findIndex((listed) => vma.bytes > listed.bytes);
  largest.splice(at < 0 ? largest.length : at, 0, vma);
  if (largest.length > LARGEST_VMAS_LISTED) largest.length = LARGEST_VMAS_LISTED;
}

/**
 * Sums and ranks charged VMAs as they are read, in address order: the VmaCharges of a maps text (fed by
 * procfs/maps scanPrivateVmas, as its PrivateVmaSink) or of a list of VMAs, with no object per VMA.
 */
export class VmaTally {
  private sumPages = 0;
  private readonly largest: AccountableVma[] = [];

  constructor(private readonly pageBytes: number) {}

  /** Counts a VMA of `bytes`; true when it enters the largest few, which then want it whole (addDetails). */
  add(bytes: number): boolean {
    this.sumPages += Math.floor(bytes / this.pageBytes); // vma_pages()
    return entersLargest(this.largest, bytes);
  }

  addDetails(vma: AccountableVma): void {
    insertLargest(this.largest, vma);
  }

  charges(): VmaCharges {
    return { sumPages: this.sumPages, largest: this.largest };
  }
}

/** Summarises VMAs in address order (as smaps lists them) into what the memory rules need. */
export function summariseVmas(vmas: Iterable<AccountableVma>, pageBytes: number): VmaCharges {
  const tally = new VmaTally(pageBytes);
  for (const vma of vmas) if (tally.add(vma.bytes)) tally.addDetails(vma);
  return tally.charges();
}

function describeVma(vma: AccountableVma): string {
  return `${vma.start.toString(16)}-${vma.end.toString(16)} ${vma.path === '' ? '(anonymous)' : vma.path}`;
}

interface Charges {
  largest: AccountableVma | null;
  /** Biggest first, at most LARGEST_VMAS_LISTED. */
  largestVmas: AccountableVma[];
  sumBytes: number;
  sumPages: number;
  largestPages: number;
  bounded: 'exact' | 'maps' | 'total-vm' | 'none';
}

function charges(input: MemoryInput): Charges {
  const page = input.pageBytes;
  if (input.vmaCharges === null) {
    if (input.totalVmBytes === null) return { largest: null, largestVmas: [], sumBytes: 0, sumPages: 0, largestPages: 0, bounded: 'none' };
    const pages = Math.floor(input.totalVmBytes / page);
    return { largest: null, largestVmas: [], sumBytes: input.totalVmBytes, sumPages: pages, largestPages: pages, bounded: 'total-vm' };
  }
  const { sumPages, largest: largestVmas } = input.vmaCharges;
  const largest = largestVmas[0] ?? null;
  return {
    largest,
    // A copy: the report is handed out, the summary may be shared by several decisions.
    largestVmas: [...largestVmas],
    sumBytes: sumPages * page,
    sumPages,
    largestPages: largest === null ? 0 : Math.floor(largest.bytes / page),
    bounded: input.vmasExact ? 'exact' : 'maps',
  };
}

/** Decides whether dup_mmap's charges would pass __vm_enough_memory() in the current overcommit mode. */
export function decideMemory(input: MemoryInput): MemoryDecision {
  const charged = charges(input);
  const report: MemoryReport = {
    overcommit: input.overcommit,
    totalRamBytes: input.memTotalBytes,
    totalSwapBytes: input.swapTotalBytes,
    commitLimitBytes: input.commitLimitBytes,
    committedBytes: input.committedBytes,
    accountableBytes: charged.sumBytes,
    headroomBytes: null,
    largestAccountable: charged.largest,
    largestAccountableVmas: charged.largestVmas,
    exact: charged.bounded === 'exact',
  };
  const warnings: ForkWarning[] = [];
  if (charged.bounded === 'maps') {
    warnings.push({
      cause: 'estimate',
      message: 'accountableBytes and largestAccountable are upper bounds from /proc/PID/maps (every private VMA); ' +
        'VmFlags were not read because even these bounds leave the verdict settled (exact: true reads them)',
    });
  } else if (charged.bounded === 'total-vm') {
    warnings.push({ cause: 'estimate', message: 'VMAs unreadable: bounded by the process size (VmSize) instead' });
  }
  if (input.overcommit === 1) {
    // OVERCOMMIT_ALWAYS: __vm_enough_memory() returns 0 before looking at any number.
    return { report, reasons: [], warnings, nearLimit: false, unknown: false, chargeBytes: charged.largest?.bytes ?? 0 };
  }
  const decision = input.overcommit === 0 ? decideHeuristic(input, charged) : decideNever(input, charged);
  report.headroomBytes = decision.headroomBytes;
  const failing = decision.reasons.length > 0;
  // An upper bound that fails or comes near proves nothing: without exact data that is an unknown.
  const unknown = charged.bounded === 'none' || (charged.bounded === 'total-vm' && (failing || decision.nearLimit));
  if (charged.bounded === 'none') {
    warnings.push({ cause: 'unreadable', message: 'neither the VMAs nor the process size could be read; memory not judged' });
  }
  if (unknown) return { report, reasons: [], warnings, nearLimit: false, unknown, chargeBytes: decision.chargeBytes };
  if (decision.nearLimit && !failing) {
    warnings.push({ cause: 'near-limit', message: decision.nearMessage });
  }
  return { report, reasons: decision.reasons, warnings: [...warnings, ...decision.warnings], nearLimit: decision.nearLimit, unknown, chargeBytes: decision.chargeBytes };
}

interface ModeDecision {
  headroomBytes: number;
  reasons: ForkReason[];
  warnings: ForkWarning[];
  nearLimit: boolean;
  nearMessage: string;
  chargeBytes: number;
}

// Mode 0 (OVERCOMMIT_GUESS). Since 5.2: fail iff pages > totalram_pages() + total_swap_pages, per VMA.
// Before 5.2: fail iff pages >= free pages (an estimate of free + reclaimable memory, minus admin_reserve).
function decideHeuristic(input: MemoryInput, charged: Charges): ModeDecision {
  const page = input.pageBytes;
  const largestBytes = charged.largestPages * page;
  const where = charged.largest ? `VMA ${describeVma(charged.largest)}` : 'the largest VMA';
  if (input.kernelBefore52) {
    const adminPages = input.capSysAdmin ? 0 : Math.floor(input.adminReserveKbytes / (page / 1024));
    const freePages = Math.floor(input.freeEstimateBytes / page) - adminPages;
    const headroomBytes = (freePages - charged.largestPages) * page;
    const fails = charged.largestPages >= freePages;
    return {
      headroomBytes,
      reasons: fails ? [{
        code: 'ENOMEM', cause: 'vma-exceeds-ram-swap', limit: freePages * page, value: largestBytes,
        message: `${where} needs ${formatBytes(largestBytes)} and the pre-5.2 heuristic sees only about ${formatBytes(freePages * page)} free`,
      }] : [],
      warnings: [{ cause: 'old-kernel', message: 'kernel before 5.2: mode 0 compared each VMA with free memory; the free figure is an estimate from /proc/meminfo' }],
      nearLimit: headroomBytes < AT_RISK_SHARE * freePages * page,
      nearMessage: `${where} (${formatBytes(largestBytes)}) is within 10 % of the estimated free memory (${formatBytes(freePages * page)})`,
      chargeBytes: largestBytes,
    };
  }
  const limitPages = Math.floor(input.memTotalBytes / page) + Math.floor(input.swapTotalBytes / page);
  const limitBytes = limitPages * page;
  const headroomBytes = (limitPages - charged.largestPages) * page;
  const fails = charged.largestPages > limitPages;
  return {
    headroomBytes,
    reasons: fails ? [{
      code: 'ENOMEM', cause: 'vma-exceeds-ram-swap', limit: limitBytes, value: largestBytes,
      message: `${where} is ${formatBytes(largestBytes)} of accountable memory, more than RAM + swap ` +
        `(${formatBytes(limitBytes)}); fork charges each VMA on its own and overcommit mode 0 refuses any single charge that large`,
    }] : [],
    warnings: [],
    nearLimit: headroomBytes < AT_RISK_SHARE * limitBytes,
    nearMessage: `${where} (${formatBytes(largestBytes)}) is within 10 % of RAM + swap (${formatBytes(limitBytes)})`,
    chargeBytes: largestBytes,
  };
}

// Mode 2 (OVERCOMMIT_NEVER): each charge passes while Committed_AS (already including it) < CommitLimit
// − admin_reserve (unless CAP_SYS_ADMIN) − min(total_vm / 32, user_reserve). dup_mmap's charges accumulate.
function decideNever(input: MemoryInput, charged: Charges): ModeDecision {
  const page = input.pageBytes;
  const kbytesToPages = (kbytes: number): number => Math.floor(kbytes / (page / 1024));
  const adminPages = input.capSysAdmin ? 0 : kbytesToPages(input.adminReserveKbytes);
  const totalVmPages = input.totalVmBytes === null ? 0 : Math.floor(input.totalVmBytes / page);
  const userPages = Math.min(Math.floor(totalVmPages / 32), kbytesToPages(input.userReserveKbytes));
  const allowedPages = Math.floor(input.commitLimitBytes / page) - adminPages - userPages;
  const committedPages = Math.floor(input.committedBytes / page);
  const afterPages = committedPages + charged.sumPages;
  const headroomBytes = (allowedPages - afterPages) * page;
  const allowedBytes = allowedPages * page;
  const reserves = `CommitLimit ${formatBytes(input.commitLimitBytes)} − admin reserve ${formatBytes(adminPages * page)}` +
    `${input.capSysAdmin ? ' (waived: CAP_SYS_ADMIN)' : ''} − user reserve ${formatBytes(userPages * page)}`;
  return {
    headroomBytes,
    reasons: afterPages >= allowedPages ? [{
      code: 'ENOMEM', cause: 'commit-limit', limit: allowedBytes, value: afterPages * page,
      message: `fork would charge ${formatBytes(charged.sumBytes)} of accountable memory on top of ${formatBytes(committedPages * page)} ` +
        `committed, reaching the overcommit mode 2 limit ${formatBytes(allowedBytes)} (${reserves})`,
    }] : [],
    warnings: [],
    nearLimit: headroomBytes < AT_RISK_SHARE * allowedBytes,
    nearMessage: `after fork's ${formatBytes(charged.sumBytes)} charge, only ${formatBytes(headroomBytes)} would remain under the ` +
      `mode 2 limit ${formatBytes(allowedBytes)}`,
    chargeBytes: charged.sumBytes,
  };
}

/**
 * Whether the mode-0 heuristic of this kernel is the pre-5.2 one: `release` is os.release(), e.g. '6.18.44-fc'.
 * Unparseable releases count as current kernels.
 */
export function isKernelBefore52(release: string): boolean {
  const match = /^(\d+)\.(\d+)/.exec(release);
  if (!match) return false;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  return major < 5 || (major === 5 && minor < 2);
}
