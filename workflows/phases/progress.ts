/**
 * Where a remediation stands, as the status query and the result show it. The phases move it on
 * explicitly (`enter`, `decided`, `planned`, ...); nothing else writes it.
 */
import type { CompiledRunbook, Decision, Outcome } from '../../dsl/types';
import type { ApprovalGate } from '../approval-gate';
import type { AuditTrail } from '../audit';
import type { Plan } from '../plan';
import type { StepRunner } from '../step-runner';
import type { Phase, RemediationResult, RemediationStatus } from '../../contracts/types';
import type { Ending } from './phase';

export class Progress {
  private phase: Phase = 'deciding';
  private decision: Decision | null = null;
  private outcome: Outcome | null = null;
  private runner: StepRunner | undefined;
  private plan: Plan | undefined;
  /** The runbook the first decision named; later decisions do not change it. */
  private runbook: CompiledRunbook | undefined;
  /** Who submitted the incident, as authenticated; shown only by runs with signed approvals. */
  private submittedBy: string | undefined;

  constructor(
    private readonly incidentId: string,
    private readonly audit: AuditTrail,
    private readonly gate: ApprovalGate,
    private readonly showsSubmitter: boolean,
  ) {}

  enter(phase: Phase): void {
    this.phase = phase;
  }

  submitted(by: string | undefined): void {
    this.submittedBy = by;
  }

  /** The first decision names the runbook; a later one (a guardrail that stopped it) only replaces the decision. */
  decided(decision: Decision, runbook?: CompiledRunbook): void {
    this.decision = decision;
    if (runbook) this.runbook = runbook;
  }

  planned(plan: Plan): void {
    this.plan = plan;
  }

  running(runner: StepRunner): void {
    this.runner = runner;
  }

  runbookId(): string | null {
    return this.runbook?.id ?? null;
  }

  /** The run is over: the query says so from now on, and this is what the workflow returns. */
  ended({ outcome, decision }: Ending): RemediationResult {
    this.outcome = outcome;
    this.phase = 'done';
    return {
      incidentId: this.incidentId,
      outcome,
      decision,
      runbook: this.runbookId(),
      runbookVersion: this.runbook?.version ?? null,
      planHash: this.plan?.hash ?? null,
      rolledBack: outcome === 'rolled_back',
      approvals: this.gate.approvals,
      // The trail itself, not a copy: what the release records after this still reaches the result.
      events: this.audit.events,
    };
  }

  status(): RemediationStatus {
    const { runbook, plan } = this;
    return {
      incidentId: this.incidentId,
      phase: this.phase,
      decision: this.decision,
      runbook: runbook?.id ?? null,
      runbookVersion: runbook?.version ?? null,
      currentStep: this.runner?.currentStep ?? null,
      planHash: plan?.hash ?? null,
      approvals: this.gate.approvals,
      approvalsNeeded: runbook?.approval.quorum ?? 0,
      ...(this.showsSubmitter ? { submittedBy: this.submittedBy ?? null } : {}),
      ...(this.phase === 'awaiting_approval' && plan ? { planSummary: plan.summary } : {}),
      outcome: this.outcome,
      events: this.audit.events,
    };
  }
}
