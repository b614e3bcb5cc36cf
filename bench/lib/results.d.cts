// The shape of bench/results/latest.json (issue #6). Every figure is a median; `stats` keeps min, max, n.
export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

export interface SpawnRow {
  rssBytes: number;
  residentBytes?: number;
  childProcessMs: number | null;
  canforkMs: number | null;
  canforkSyncMs: number | null;
  posixSpawnMs: number | null;
  childProcessStallMs: number | null;
  canforkStallMs: number | null;
  /** The control: the longest event-loop delay over a stretch with no spawns (the machine's own noise). */
  idleStallMs?: number | null;
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
  startedAt: string;
  durationSeconds?: number;
  /** The commit measured; uncommittedSources when src/ or native/ differed from it. */
  source?: { commit: string; uncommittedSources: boolean } | null;
  spawn: SpawnRow[];
  canFork: CanForkRow[];
  calls: CallRow[];
  notes: string[];
}
