import type { BenchResults } from './results.cjs';

export interface TargetVerdict {
  target: string;
  status: 'met' | 'missed' | 'not measured';
  detail: string;
}

export function rssLabel(rssBytes: number): string;
export function evaluateTargets(results: BenchResults): TargetVerdict[];
export function markdownReport(results: BenchResults): string;
