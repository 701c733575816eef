/**
 * What a runbook matches: its `triggers`, `root_causes` and `symptoms` as claims (kept with their
 * positions, so overlaps between runbooks are reported where they are written) and the compiled
 * match they make.
 */
import type { StepScope } from './compile-steps';
import type { RawRunbook } from './runbook-schema';
import type { CompiledRunbook } from './types';
import type { PathSegment } from './yaml-source';

export interface TriggerClaim {
  kind: 'root_cause' | 'symptom';
  value: string;
  path: PathSegment[];
}

/** The runbook's claims, deduplicated; a runbook with none can never match, which is an error. */
export function matchClaims(raw: RawRunbook, path: PathSegment[], report: StepScope['report']): TriggerClaim[] {
  const claims = triggerClaims(raw, path);
  if (claims.length === 0) {
    report(path, 'this runbook can never match: expected at least one of triggers, root_causes or symptoms', { key: true });
  }
  return claims;
}

export function matchOf(claims: readonly TriggerClaim[], raw: RawRunbook): CompiledRunbook['match'] {
  return {
    rootCauses: unique(claims.filter((c) => c.kind === 'root_cause').map((c) => c.value)),
    symptoms: unique(claims.filter((c) => c.kind === 'symptom').map((c) => c.value)),
    precedence: raw.precedence ?? 0,
  };
}

/** The seed's `triggers` match both root causes and symptoms. */
function triggerClaims(raw: RawRunbook, path: PathSegment[]): TriggerClaim[] {
  const claims: TriggerClaim[] = [];
  (raw.triggers ?? []).forEach((value, i) => {
    claims.push({ kind: 'root_cause', value, path: [...path, 'triggers', i] });
    claims.push({ kind: 'symptom', value, path: [...path, 'triggers', i] });
  });
  (raw.root_causes ?? []).forEach((value, i) => claims.push({ kind: 'root_cause', value, path: [...path, 'root_causes', i] }));
  (raw.symptoms ?? []).forEach((value, i) => claims.push({ kind: 'symptom', value, path: [...path, 'symptoms', i] }));
  const seen = new Set<string>();
  return claims.filter((claim) => {
    const key = `${claim.kind}\u0000${claim.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
