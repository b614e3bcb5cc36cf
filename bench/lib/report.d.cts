import type { BenchResults } from './results.cjs';

export interface TargetVerdict {
  target: string;
  status: 'met' | 'missed' | 'undecided' | 'not measured';
  detail: string;
}

export function rssLabel(rssBytes: number): string;
export function evaluateTargets(results: BenchResults): TargetVerdict[];
export function markdownReport(results: BenchResults): string;
/** One line per peer comparison that has figures: where canfork is ahead, behind or even. */
export function standings(results: BenchResults): string[];
