// Folding the memory and task decisions into one verdict. Pure.
import type { ForkReason, ForkVerdict, ForkWarning } from './report';

export interface PartialDecision {
  reasons: ForkReason[];
  warnings: ForkWarning[];
  nearLimit: boolean;
  unknown: boolean;
}

/** fails (any reason) > unknown (a check could not be made) > at-risk (headroom under 10 %) > ok. */
export function combineDecisions(parts: PartialDecision[]): { ok: boolean; verdict: ForkVerdict; reasons: ForkReason[]; warnings: ForkWarning[] } {
  const reasons = parts.flatMap((part) => part.reasons);
  const warnings = parts.flatMap((part) => part.warnings);
  let verdict: ForkVerdict = 'ok';
  if (reasons.length > 0) verdict = 'fails';
  else if (parts.some((part) => part.unknown)) verdict = 'unknown';
  else if (parts.some((part) => part.nearLimit)) verdict = 'at-risk';
  return { ok: verdict !== 'fails', verdict, reasons, warnings };
}
