import type { BenchResults } from './results.cjs';

export function spawnChart(results: BenchResults): string;
export function canForkChart(results: BenchResults): string;
