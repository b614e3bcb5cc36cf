import type { Summary } from './results.cjs';

export function percentile(sorted: readonly number[], p: number): number;
export function summarize(samples: readonly number[] | null | undefined): Summary | null;
export function ratio(numerator: number | null | undefined, denominator: number | null | undefined): number | null;
export function round(value: number | null | undefined, digits?: number): number | null;
export function roundSummary(summary: Summary | null): Summary | null;
