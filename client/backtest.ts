/**
 * Backtesting a policy change: each recorded incident is decided again, purely, with the catalogue
 * recorded in its history and with the new one, against the same empty guardrail state at the
 * incident's start time. Only the catalogue differs, so any difference is the policy change's doing.
 */
import { decide, emptySnapshot } from '../dsl/decide';
import type { CompiledCatalogue, Decision, Outcome } from '../dsl/types';
import type { StoredRemediation } from './records';

export interface DecisionView {
  decision: Decision['decision'];
  event: Decision['event'];
  runbook: string | null;
  /** The matched runbook's content hash in that catalogue. */
  version: string | null;
  reason: string;
}

export interface BacktestRow {
  incidentId: string;
  workflowId: string;
  startedAt: string;
  rootCause: string;
  service: string;
  confidence: number;
  /** What actually happened, when the workflow completed. */
  outcome: Outcome | null;
  recorded: DecisionView;
  proposed: DecisionView;
  /** The decision, its event or the runbook differs. */
  changed: boolean;
  /** Same decision and runbook, but the runbook's content (its plan) differs. */
  versionChanged: boolean;
}

function view(decision: Decision, catalogue: CompiledCatalogue): DecisionView {
  const version = catalogue.runbooks.find((r) => r.id === decision.runbook)?.version ?? null;
  return { decision: decision.decision, event: decision.event, runbook: decision.runbook, version, reason: decision.reason };
}

export function backtest(stored: readonly StoredRemediation[], proposed: CompiledCatalogue): BacktestRow[] {
  return stored.map(({ workflowId, record }) => {
    const { incident } = record.input;
    const { catalogue, policy } = record;
    const snapshot = emptySnapshot(record.startedAtMs, policy?.limits);
    const before = view(decide(incident, catalogue, snapshot), catalogue);
    const after = view(decide(incident, proposed, snapshot), proposed);
    const changed = before.decision !== after.decision || before.event !== after.event || before.runbook !== after.runbook;
    return {
      incidentId: incident.id,
      workflowId,
      startedAt: new Date(record.startedAtMs).toISOString(),
      rootCause: incident.root_cause,
      service: incident.service,
      confidence: incident.confidence,
      outcome: record.closed?.result?.outcome ?? null,
      recorded: before,
      proposed: after,
      changed,
      versionChanged: !changed && before.version !== after.version,
    };
  });
}
