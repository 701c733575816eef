/**
 * The decision engine, pure: the reference exercise's handle_incident order (match, confidence,
 * then the guardrails in their one list, see ./guardrails/rules, then risk and mode), with the
 * reference's accidental first-in-file matching replaced by a rule.
 */
import { checkGuardrails, DEFAULT_LIMITS, type GuardrailView, type Refusal } from './guardrails';
import { safeRecord } from './safe-record';
import type { CompiledCatalogue, CompiledRunbook, Decision, GuardrailSnapshot, Incident } from './types';

export { DEFAULT_LIMITS };

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
  if (byRootCause.length > 0)
    return best(
      byRootCause.map((runbook) => ({ runbook, score: 0 })),
      'root_cause',
    );
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

export interface DecideOptions {
  /** A human approved the run already: freezes and change windows hold automation, not people. */
  humanApproved?: boolean;
}

/**
 * The decision against a view of the shared guardrails. A view without a freeze, failures or
 * windows (an empty snapshot, or one recorded before views carried them) decides as it always did.
 */
export function decide(incident: Incident, catalogue: CompiledCatalogue, snapshot: GuardrailView, options: DecideOptions = {}): Decision {
  const matched = matchAndConfidence(incident, catalogue);
  if (matched.kind === 'decided') return matched.decision;
  const runbook = matched.runbook;
  const refused = checkGuardrails(runbook, incident, snapshot, { humanApproved: options.humanApproved ?? false });
  return refused ? refusedDecision(refused, runbook, incident) : decideRisk(runbook, incident);
}

/**
 * A refusal as a decision. Outside a change window an automatic run waits for the window (or, when
 * the window says so or never opens, asks a human), as the remediation workflow does; a run that
 * needs humans anyway is not held by a window.
 */
function refusedDecision(refused: Refusal, runbook: CompiledRunbook, incident: Pick<Incident, 'confidence'>): Decision {
  if (refused.event !== 'OUTSIDE_CHANGE_WINDOW')
    return { decision: 'blocked', event: refused.event, runbook: runbook.id, reason: refused.reason };
  const byRisk = decideRisk(runbook, incident);
  if (byRisk.decision !== 'auto') return byRisk;
  if (refused.outside === 'wait' && refused.opensAtMs !== undefined) {
    return { ...byRisk, reason: `${refused.reason}; waiting for it, then running ${runbook.id} automatically` };
  }
  return {
    decision: 'approval_required',
    event: 'APPROVAL_REQUIRED',
    runbook: runbook.id,
    reason: `${refused.reason}; asking a human instead`,
  };
}

/** Steps 1 and 2: which runbook applies, and is the cause certain enough? Needs no guardrail state. */
export function matchAndConfidence(
  incident: Incident,
  catalogue: CompiledCatalogue,
): { kind: 'decided'; decision: Decision } | { kind: 'runbook'; runbook: CompiledRunbook } {
  const match = matchRunbook(incident, catalogue.runbooks);
  if (match.kind === 'none') {
    const symptoms = incident.symptoms.length > 0 ? ` or symptoms ${incident.symptoms.join(', ')}` : '';
    return {
      kind: 'decided',
      decision: {
        decision: 'manual',
        event: 'NO_RUNBOOK',
        runbook: null,
        reason: `No runbook matches root cause "${incident.root_cause}"${symptoms}; manual intervention required`,
      },
    };
  }
  if (match.kind === 'ambiguous') {
    const ids = match.candidates.map((r) => r.id).join(' and ');
    return {
      kind: 'decided',
      decision: {
        decision: 'manual',
        event: 'NO_RUNBOOK',
        runbook: null,
        reason: `The symptoms match runbooks ${ids} equally well (same precedence); a human must choose`,
      },
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
    return {
      decision: 'manual',
      event: 'SUGGESTED',
      runbook: id,
      reason: `${id} is in suggest mode: the fix is proposed for a human to run`,
    };
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
