/**
 * The decision engine, pure: the seed's handle_incident order (match,
 * confidence, circuit breaker, rate limit and cooldown, blast radius, risk and
 * mode), with the seed's accidental first-in-file matching replaced by a rule.
 */
import { formatDuration } from './duration';
import { ownValue, safeRecord } from './safe-record';
import type { CompiledCatalogue, CompiledRunbook, Decision, GuardrailSnapshot, Incident } from './types';

/** The seed's BlastRadiusLimiter defaults. */
export const DEFAULT_LIMITS: GuardrailSnapshot['limits'] = { maxConcurrent: 3, maxServices: 1 };

const HOUR_MS = 3_600_000;

export function emptySnapshot(nowMs: number, limits: Partial<GuardrailSnapshot['limits']> = {}): GuardrailSnapshot {
  return { nowMs, breakers: safeRecord(), executions: safeRecord(), active: [], limits: { ...DEFAULT_LIMITS, ...limits } };
}

export type Match =
  | { kind: 'none' }
  | { kind: 'matched'; runbook: CompiledRunbook; by: 'root_cause' | 'symptom' }
  | { kind: 'ambiguous'; candidates: CompiledRunbook[] };

/**
 * A root-cause match beats any symptom match; among either, the higher
 * precedence wins, then (symptoms) the runbook matching more of them. A tie
 * left after that is ambiguous: a human chooses, never file order.
 */
export function matchRunbook(incident: Incident, runbooks: readonly CompiledRunbook[]): Match {
  const byRootCause = runbooks.filter((r) => r.match.rootCauses.includes(incident.root_cause));
  if (byRootCause.length > 0) return best(byRootCause.map((runbook) => ({ runbook, score: 0 })), 'root_cause');
  const bySymptom = runbooks
    .map((runbook) => ({ runbook, score: incident.symptoms.filter((s) => runbook.match.symptoms.includes(s)).length }))
    .filter((candidate) => candidate.score > 0);
  return bySymptom.length > 0 ? best(bySymptom, 'symptom') : { kind: 'none' };
}

function best(candidates: { runbook: CompiledRunbook; score: number }[], by: 'root_cause' | 'symptom'): Match {
  const rank = (c: { runbook: CompiledRunbook; score: number }) => [c.runbook.match.precedence, c.score] as const;
  const sorted = [...candidates].sort((a, b) => rank(b)[0] - rank(a)[0] || rank(b)[1] - rank(a)[1]);
  const top = sorted.filter((c) => rank(c)[0] === rank(sorted[0]!)[0] && rank(c)[1] === rank(sorted[0]!)[1]);
  if (top.length > 1) return { kind: 'ambiguous', candidates: top.map((c) => c.runbook) };
  return { kind: 'matched', runbook: sorted[0]!.runbook, by };
}

export function decide(incident: Incident, catalogue: CompiledCatalogue, snapshot: GuardrailSnapshot): Decision {
  const matched = matchAndConfidence(incident, catalogue);
  if (matched.kind === 'decided') return matched.decision;
  // 3-5. Circuit breaker, rate limit and cooldown, blast radius.
  return checkGuardrails(matched.runbook, incident, snapshot) ?? decideRisk(matched.runbook, incident);
}

/** Steps 1 and 2: which runbook applies, and is the cause certain enough? Needs no guardrail state. */
export function matchAndConfidence(incident: Incident, catalogue: CompiledCatalogue): { kind: 'decided'; decision: Decision } | { kind: 'runbook'; runbook: CompiledRunbook } {
  const match = matchRunbook(incident, catalogue.runbooks);
  if (match.kind === 'none') {
    const symptoms = incident.symptoms.length > 0 ? ` or symptoms ${incident.symptoms.join(', ')}` : '';
    return {
      kind: 'decided',
      decision: { decision: 'manual', event: 'NO_RUNBOOK', runbook: null, reason: `No runbook matches root cause "${incident.root_cause}"${symptoms}; manual intervention required` },
    };
  }
  if (match.kind === 'ambiguous') {
    const ids = match.candidates.map((r) => r.id).join(' and ');
    return {
      kind: 'decided',
      decision: { decision: 'manual', event: 'NO_RUNBOOK', runbook: null, reason: `The symptoms match runbooks ${ids} equally well (same precedence); a human must choose` },
    };
  }
  const runbook = match.runbook;
  // Equal to the minimum passes, as in the seed.
  if (incident.confidence < runbook.minConfidence) {
    return {
      kind: 'decided',
      decision: {
        decision: 'manual',
        event: 'LOW_CONFIDENCE',
        runbook: runbook.id,
        reason: `Confidence ${incident.confidence} is below ${runbook.id}'s minimum ${runbook.minConfidence}; a human should confirm the cause`,
      },
    };
  }
  return { kind: 'runbook', runbook };
}

/** Step 6, once the guardrails are clear: risk and mode. Suggest is the most manual point of the spectrum, so it wins even over HIGH. */
export function decideRisk(runbook: CompiledRunbook, incident: Pick<Incident, 'confidence'>): Exclude<Decision, { decision: 'blocked' }> {
  const id = runbook.id;
  if (runbook.mode === 'suggest') {
    return { decision: 'manual', event: 'SUGGESTED', runbook: id, reason: `${id} is in suggest mode: the fix is proposed for a human to run` };
  }
  if (runbook.risk === 'HIGH' || runbook.mode === 'approval') {
    const why = runbook.risk === 'HIGH' ? 'HIGH risk' : `${id} is in approval mode`;
    const { quorum, approvers } = runbook.approval;
    const who = approvers.length > 0 ? ` from ${approvers.join(', ')}` : '';
    return {
      decision: 'approval_required',
      event: 'APPROVAL_REQUIRED',
      runbook: id,
      reason: `${why}: ${id} needs ${quorum} approval${quorum === 1 ? '' : 's'}${who} before it runs`,
    };
  }
  return {
    decision: 'auto',
    event: 'EXECUTING',
    runbook: id,
    reason: `${runbook.risk} risk, confidence ${incident.confidence} >= ${runbook.minConfidence}, guardrails clear: running ${id} automatically`,
  };
}

/**
 * The guardrail part of the decision (seed order: circuit breaker, rate limit and cooldown,
 * blast radius). Also used by the guardrail coordinator, which re-checks atomically before it grants.
 */
export function checkGuardrails(
  runbook: Pick<CompiledRunbook, 'id' | 'guardrails'>,
  incident: Pick<Incident, 'service' | 'services'>,
  snapshot: GuardrailSnapshot,
  /** With `capacity: false`, what is under change right now is left out: a run that first waits for humans asks for its slot when they approved. */
  options: { capacity?: boolean } = {},
): Extract<Decision, { decision: 'blocked' }> | undefined {
  const id = runbook.id;
  const service = incident.service;
  // Circuit breaker: stop a remediation that keeps failing.
  // Own keys only: a snapshot may be decoded JSON, and runbook ids and services are data.
  const breaker = ownValue(snapshot.breakers, id);
  if (breaker?.state === 'open') {
    const recovery = runbook.guardrails.circuitBreaker.recoveryTimeoutMs;
    const elapsed = breaker.openedAtMs === undefined ? undefined : snapshot.nowMs - breaker.openedAtMs;
    if (elapsed === undefined || elapsed < recovery) {
      const retry = elapsed === undefined ? '' : `; a trial run is allowed in ${seconds(recovery - elapsed)}s`;
      return {
        decision: 'blocked',
        event: 'CIRCUIT_OPEN',
        runbook: id,
        reason: `Circuit open for ${id} after ${breaker.consecutiveFailures} consecutive failures${retry}`,
      };
    }
  }
  if (breaker?.state === 'half_open' && breaker.trialInFlight) {
    return {
      decision: 'blocked',
      event: 'CIRCUIT_OPEN',
      runbook: id,
      reason: `Circuit half-open for ${id}: a trial run is already in progress`,
    };
  }

  // Rate limit (rolling hour) and cooldown, per runbook and service.
  const runs = ownValue(snapshot.executions, `${id}:${service}`) ?? [];
  const lastHour = runs.filter((t) => t > snapshot.nowMs - HOUR_MS);
  const { maxPerHour, cooldownMs, blastRadiusLimit } = runbook.guardrails;
  if (lastHour.length >= maxPerHour) {
    return {
      decision: 'blocked',
      event: 'RATE_LIMITED',
      runbook: id,
      reason: `Rate limit reached for ${id} on ${service}: ${lastHour.length} runs in the last hour (max ${maxPerHour}/hour)`,
    };
  }
  if (runs.length > 0) {
    const cooldownEnd = Math.max(...runs) + cooldownMs;
    if (cooldownEnd > snapshot.nowMs) {
      return {
        decision: 'blocked',
        event: 'RATE_LIMITED',
        runbook: id,
        reason: `Cooldown active for ${id} on ${service}: ${seconds(cooldownEnd - snapshot.nowMs)}s remaining (cooldown ${formatDuration(cooldownMs)})`,
      };
    }
  }

  // Blast radius: how much may be under automated change at once.
  const { maxConcurrent, maxServices } = snapshot.limits;
  const capacity = options.capacity ?? true;
  if (capacity && snapshot.active.length >= maxConcurrent) {
    return {
      decision: 'blocked',
      event: 'BLAST_LIMITED',
      runbook: id,
      reason: `${snapshot.active.length} remediations already active (max ${maxConcurrent} at once)`,
    };
  }
  if (incident.services.length > blastRadiusLimit) {
    return {
      decision: 'blocked',
      event: 'BLAST_LIMITED',
      runbook: id,
      reason: `The incident spans ${incident.services.length} services (${incident.services.join(', ')}); ${id} may affect at most ${blastRadiusLimit}`,
    };
  }

  // Every service this incident would change counts, not only its primary one: a three-service
  // incident under max_services 1 would otherwise put three services under change at once.
  const affected = new Set(snapshot.active.flatMap((a) => a.services));
  const added = [...new Set([service, ...incident.services])].filter((s) => !affected.has(s));
  if (capacity && added.length > 0 && affected.size + added.length > maxServices) {
    const max = `max ${maxServices} service${maxServices === 1 ? '' : 's'} at once`;
    return {
      decision: 'blocked',
      event: 'BLAST_LIMITED',
      runbook: id,
      reason:
        affected.size > 0
          ? `${[...affected].sort().join(', ')} already under remediation (${max})`
          : `the incident would put ${added.length} services under change (${added.join(', ')}; ${max})`,
    };
  }
  return undefined;
}

function seconds(ms: number): number {
  return Math.ceil(ms / 1000);
}
