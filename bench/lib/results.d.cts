// The shape of bench/results/latest.json (issue #6). Every figure is a median; `stats` keeps min, max, n.
export interface Summary {
  median: number;
  /** Nearest-rank 99th percentile (absent in results from before it was recorded). */
  p99?: number;
  min: number;
  max: number;
  n: number;
}

export interface SpawnRow {
  rssBytes: number;
  residentBytes?: number;
  childProcessMs: number | null;
  canforkMs: number | null;
  /** child_process.spawn with canfork/register loaded, in a process of its own. */
  registerMs?: number | null;
  canforkSyncMs: number | null;
  /** The peers, each in a process of its own: Bun.spawn, Bun.spawnSync, Deno Command spawn / outputSync. */
  bunMs?: number | null;
  bunSyncMs?: number | null;
  denoMs?: number | null;
  denoSyncMs?: number | null;
  posixSpawnMs: number | null;
  childProcessStallMs: number | null;
  canforkStallMs: number | null;
  /** The control: the longest event-loop delay over a stretch with no spawns (the machine's own noise). */
  idleStallMs?: number | null;
  /**
   * Issue #16's ratios once per pass of the level (each pass runs every process once, in turn): canforkVsBun,
   * registerVsBun, spawnSyncVsBunSync, callVsPosixSpawn (medians), throughputVsBun. Absent before passes.
   */
  passRatios?: Record<string, (number | null)[]>;
  /**
   * Per spawner (childProcess, canfork, register, canforkSync, bun, bunSync, deno, denoSync), its process's CPU µs
   * per spawn over each whole batch of warmUp.coldSpawns spawns of its warm-up, the median of the passes. Absent before.
   */
  settlingCpuUs?: Record<string, (number | null)[]>;
  /**
   * Every figure above plus the spawn-call times (childProcessCallMs, canforkCallMs, registerCallMs, bunCallMs,
   * denoCallMs, posixSpawnBlockedMs), the throughput with 8 in flight (…PerSecond) and the first spawns of each
   * process, before its warm-up ended (childProcessColdMs, canforkColdMs, registerColdMs, canforkSyncColdMs,
   * bunColdMs, bunSyncColdMs, denoColdMs, denoSyncColdMs).
   */
  stats: Record<string, Summary | null>;
}

/** Memory per live child for one spawner and stdio setting (bytes per child). */
export interface MemoryRow {
  spawner: 'childProcess' | 'canfork' | 'register';
  stdio: 'pipe' | 'ignore';
  children: number;
  heapUsedBytes: number;
  /** RSS minus the V8 heap's resident pages. */
  outsideHeapBytes: number;
  /** The whole process's RSS. */
  rssBytes: number;
}

/** canfork spawn with and without `cgroup: true`, taking turns. */
export interface CgroupRow {
  rssBytes: number;
  canforkMs: number | null;
  canforkCgroupMs: number | null;
  costMs: number | null;
  stats: Record<string, Summary | null>;
}

export interface CanForkRow {
  rssBytes: number;
  vmas: number;
  /** Present on the VMA-count rows: how many unmergeable mappings were added. */
  addedMappings?: number;
  canForkMs: number | null;
  smapsMs: number | null;
  mapsMs: number | null;
  stats: Record<string, Summary | null>;
}

export interface CallRow {
  name: string;
  ns: number | null;
  cNs: number | null;
  stats: Record<string, Summary | null>;
}

export interface BenchResults {
  machine: { cpu: string; cores: number; memBytes: number; kernel: string; node: string; load?: Record<string, number | null> };
  mode: 'full' | 'quick';
  /** How many passes each memory level ran in (absent before passes: one). */
  passes?: number;
  /**
   * The warm-up of each spawner before its timed spawns (bench/lib/warm-up.mjs): that many spawns or that many ms,
   * whichever ended first; the first coldSpawns of them are the …ColdMs figures. Absent before it: 3 spawns.
   */
  warmUp?: { spawns: number; ms: number; coldSpawns: number; untimedSpawns?: number };
  startedAt: string;
  durationSeconds?: number;
  /** The commit measured; uncommittedSources when src/ or native/ differed from it. */
  source?: { commit: string; uncommittedSources: boolean } | null;
  /** What else the machine was doing, as the runner described it ($CANFORK_BENCH_CONDITIONS). */
  conditions?: string | null;
  /** The peer runtimes that ran, null where one could not be had. */
  peers?: Record<string, { version: string } | null>;
  spawn: SpawnRow[];
  canFork: CanForkRow[];
  calls: CallRow[];
  memory?: MemoryRow[];
  cgroup?: CgroupRow | null;
  /** The CLI's scan: CPU microseconds per /proc entry, one full scan per sample (issue #12). */
  cliScan?: { entries: number; perEntryUs: Summary | null } | null;
  notes: string[];
}
