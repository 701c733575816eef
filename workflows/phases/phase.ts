/**
 * What the phases of a remediation share: each phase takes what the previous one produced and
 * either continues with its own result or finishes the run with an outcome.
 */
import type { CompiledCatalogue, CompiledRunbook, Decision, Incident, Outcome } from '../../dsl/types';
import type { ApprovalGate } from '../approval-gate';
import type { AuditTrail } from '../audit';
import type { GuardrailAccess } from '../guardrail-access';
import type { Renderer } from '../renderer';
import type { OperatorPolicy } from '../../contracts/types';
import { NOTICES, type Notice } from './notices';
import type { Progress } from './progress';

/** How a run ended: its outcome, and the decision that stands at the end (the result reports both). */
export interface Ending {
  outcome: Outcome;
  decision: Decision;
}

export type PhaseResult<T> = { kind: 'continue'; with: T } | { kind: 'finish'; ending: Ending };

export const proceed = <T>(value: T): PhaseResult<T> => ({ kind: 'continue', with: value });
export const finish = (outcome: Outcome, decision: Decision): PhaseResult<never> => ({ kind: 'finish', ending: { outcome, decision } });

/** What exists from the first line of the workflow on: the message handlers feed the gate and read the progress. */
export interface RunStart {
  incident: Incident;
  workflowId: string;
  audit: AuditTrail;
  gate: ApprovalGate;
  progress: Progress;
  /** `patched('operator-policy')`: the worker's catalogue and policy, and signed approvals only. */
  ownPolicy: boolean;
}

/** A run once admitted: what it decides with, how it renders, checks and notifies, and how it reaches the guardrails. */
export interface Run extends RunStart {
  catalogue: CompiledCatalogue;
  policy: OperatorPolicy;
  submittedBy: string | undefined;
  renderer: Renderer;
  /** `patched('local-checks')`: checks and notifications as local activities. */
  localChecks: boolean;
  /** `patched('batched-guardrails')`: the coordinator's protocol, and task priorities. */
  batched: boolean;
  access: GuardrailAccess;
  notify(notice: Notice): Promise<void>;
}

/** The chosen runbook does not run after all: a later look at the guardrails said no. */
export async function stop(run: Run, runbook: CompiledRunbook, blocked: Decision, prefix: string): Promise<PhaseResult<never>> {
  run.progress.decided(blocked);
  run.audit.record(blocked.event, `${prefix}${blocked.reason}`);
  await run.notify(NOTICES.notRun(run.incident.id, runbook, blocked));
  return finish(blocked.decision === 'blocked' ? 'blocked' : 'manual', blocked);
}
