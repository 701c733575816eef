/**
 * The approval gate: counts only verified, authorised, distinct approvers for the current plan,
 * escalates before the deadline and expires to manual when nobody decides. Waiting uses
 * `condition` with a timeout: durable timers, so a worker restart loses nothing.
 *
 * Two ways in, by the run's age:
 * - signed statements through the `decide` update (runs since `operator-policy`): the signature, the
 *   key's principal in the operator's allowed_signers, the incident, run and plan are checked here,
 *   deterministically, and the sender gets the answer at once;
 * - unsigned approve/reject signals, honoured only when replaying older runs; newer runs refuse them.
 * Every refusal is audited, up to a budget, so a flood of bad statements cannot grow history without bound.
 */
import { condition, workflowInfo } from '@temporalio/workflow';
import { verifyApproval } from '../dsl/trust/statement';
import type { TrustPolicy } from '../dsl/trust/types';
import { judgeActor, normaliseActor } from './approval-rules';
import { AlertResolution } from './alert-resolution';
import type { AuditTrail } from './audit';
import type { AlertResolvedSignal, ApprovalRecord, ApproveSignal, DecisionAnswer, RejectSignal } from '../contracts/types';

type Inbound = { kind: 'approve'; signal: ApproveSignal } | { kind: 'reject'; signal: RejectSignal };

export type GateOutcome =
  | { kind: 'approved'; approvals: ApprovalRecord[] }
  | { kind: 'rejected'; by: string; reason: string }
  | { kind: 'expired' }
  /** The incident's alert resolved on its own (`alert-resolved`): the request is withdrawn. */
  | { kind: 'withdrawn'; resolved: AlertResolvedSignal };

export interface GateRequest {
  planHash: string;
  allowed: Set<string>;
  quorum: number;
  submittedBy?: string;
  timeoutMs: number;
  escalateAfterMs: number;
  onEscalate: () => Promise<void>;
}

/** Refusals audited per run; later ones are refused by the update's validator without a trace in history. */
export const MAX_AUDITED_REFUSALS = 25;
/** A statement and its signature together; anything bigger is not a statement. */
const MAX_DECISION_BYTES = 16_384;

export class ApprovalGate {
  private readonly inbox: Inbound[] = [];
  private open: GateRequest | undefined;
  private decided: GateOutcome | undefined;
  private refusals = 0;
  /** Approvals that counted in the current round, visible to the status query. */
  approvals: ApprovalRecord[] = [];

  /** The incident's alert resolved: an open request is withdrawn, and none is made afterwards. */
  private readonly resolution: AlertResolution;

  /** Whose signatures count; set once the worker's policy is known (signed runs only). */
  private trust: TrustPolicy | undefined;

  /** `signedOnly`: the run takes signed statements only (decided before any handler runs, so no early signal slips through). */
  constructor(
    private readonly audit: AuditTrail,
    private readonly incidentId: string,
    private readonly signedOnly: boolean,
  ) {
    this.resolution = new AlertResolution(audit);
  }

  trustWith(trust: TrustPolicy): void {
    this.trust = trust;
  }

  /** Signal handlers call these. Signals that arrive before the gate opens wait in the inbox. */
  receiveApprove(signal: ApproveSignal): void {
    if (this.refuseUnsigned('approve', signal)) return;
    this.inbox.push({ kind: 'approve', signal });
  }

  receiveReject(signal: RejectSignal): void {
    if (this.refuseUnsigned('reject', signal)) return;
    this.inbox.push({ kind: 'reject', signal });
  }

  /** The alertResolved signal (runs with `alert-resolved`): validated and remembered (workflows/alert-resolution.ts). */
  receiveAlertResolved(signal: unknown): void {
    this.resolution.receive(signal, this.open !== undefined && this.decided === undefined);
  }

  /** The update's validator: throws (refusing without history) only for what cannot be audited. */
  validateSigned(signed: unknown): void {
    if (!this.signedOnly) throw new Error('this run takes approvals as signals (it started before signed approvals)');
    if (this.refusals >= MAX_AUDITED_REFUSALS)
      throw new Error(`${MAX_AUDITED_REFUSALS} statements were refused already; this run takes no more`);
    let size = 0;
    try {
      size = JSON.stringify(signed ?? null).length;
    } catch {
      throw new Error('malformed: not JSON');
    }
    if (size > MAX_DECISION_BYTES) throw new Error(`malformed: ${size} bytes, a signed statement is at most ${MAX_DECISION_BYTES}`);
  }

  /** The update's handler: verifies a signed approval or rejection and answers whether it counted. */
  receiveSigned(signed: unknown): DecisionAnswer {
    const request = this.open;
    const needed = request?.quorum ?? 0;
    if (!request || this.decided || !this.trust) return this.refuse('the remediation is not waiting for approval', needed);
    const verified = verifyApproval(
      signed,
      {
        incidentId: this.incidentId,
        workflowId: workflowInfo().workflowId,
        runId: workflowInfo().runId,
        planHash: request.planHash,
        nowMs: Date.now(),
      },
      this.trust,
    );
    if (!verified.ok) return this.refuse(verified.reason, needed);
    const { principal, via, statement } = verified;
    const actor = principal + (via ? ` (via ${via})` : '');
    const verdict = judgeActor({
      by: principal,
      allowed: request.allowed,
      submittedBy: request.submittedBy,
      shownPlanHash: statement.planHash,
      currentPlanHash: request.planHash,
    });
    if (!verdict.counts) return this.refuse(`${statement.verdict} from ${actor}: ${verdict.why}`, needed, principal);
    if (statement.verdict === 'reject') {
      this.audit.record('REJECTED', `rejected by ${actor}: ${statement.reason.trim()}`, {
        actor: principal,
        data: { signed: true, ...(via ? { via } : {}) },
      });
      this.decided = { kind: 'rejected', by: principal, reason: statement.reason.trim() };
      return { counted: true, message: `rejected by ${actor}`, principal, approvals: this.approvals.length, needed };
    }
    if (this.approvals.some((a) => normaliseActor(a.by) === normaliseActor(principal))) {
      return this.refuse(`${actor} already approved; a quorum needs distinct approvers`, needed, principal);
    }
    const record: ApprovalRecord = {
      by: principal,
      ...(via ? { via } : {}),
      reason: statement.reason || undefined,
      at: new Date(Date.now()).toISOString(),
      planHash: request.planHash,
    };
    this.approvals.push(record);
    const message = `approved by ${actor} (${this.approvals.length}/${needed})`;
    this.audit.record('APPROVED', `${message}${record.reason ? `: ${record.reason}` : ''}`, {
      actor: principal,
      data: { signed: true, ...(via ? { via } : {}) },
    });
    if (this.approvals.length >= needed) this.decided = { kind: 'approved', approvals: [...this.approvals] };
    return { counted: true, message, principal, approvals: this.approvals.length, needed };
  }

  async wait(request: GateRequest): Promise<GateOutcome> {
    this.approvals = [];
    this.decided = undefined;
    this.open = request;
    try {
      return await this.waitOpen(request);
    } finally {
      this.open = undefined;
    }
  }

  private async waitOpen(request: GateRequest): Promise<GateOutcome> {
    const deadline = Date.now() + request.timeoutMs;
    const escalateAt = Date.now() + Math.min(request.escalateAfterMs, request.timeoutMs);
    let escalated = false;
    for (;;) {
      // A decision that counted stands; otherwise an alert that resolved withdraws the request.
      const decided = this.decided ?? this.drain(request);
      if (decided) return decided;
      const resolved = this.resolution.current;
      if (resolved) return { kind: 'withdrawn', resolved: this.resolution.withdraw(resolved) };
      const now = Date.now();
      if (now >= deadline) return { kind: 'expired' };
      const wakeAt = escalated ? deadline : Math.min(escalateAt, deadline);
      const woken = await condition(
        () => this.inbox.length > 0 || this.decided !== undefined || this.resolution.current !== undefined,
        Math.max(1, wakeAt - now),
      );
      if (!woken && !escalated && Date.now() >= escalateAt && Date.now() < deadline) {
        escalated = true;
        await request.onEscalate();
      }
    }
  }

  private refuse(reason: string, needed: number, principal?: string): DecisionAnswer {
    this.refusals += 1;
    this.audit.record('APPROVAL_REFUSED', `signed statement refused: ${reason}`, {
      ...(principal ? { actor: principal } : {}),
      data: { signed: true },
    });
    return { counted: false, message: reason, ...(principal ? { principal } : {}), approvals: this.approvals.length, needed };
  }

  /** Newer runs take signed statements only; an unsigned signal is refused (audited within the budget). */
  private refuseUnsigned(kind: string, signal: unknown): boolean {
    if (!this.signedOnly) return false;
    if (this.refusals < MAX_AUDITED_REFUSALS) {
      this.refusals += 1;
      const by = typeof (signal as { by?: unknown })?.by === 'string' ? (signal as { by: string }).by.slice(0, 128) : '(nobody)';
      this.audit.record(
        'APPROVAL_REFUSED',
        `unsigned ${kind} signal naming ${by} refused: approvals must be signed (remediate ${kind} ID --key KEY)`,
      );
    }
    return true;
  }

  /** The signal protocol of older runs. Names are whatever the signal said: the reason signed statements replaced it. */
  private drain(request: GateRequest): GateOutcome | undefined {
    while (this.inbox.length > 0) {
      const message = this.inbox.shift()!;
      const by = typeof message.signal?.by === 'string' ? message.signal.by : '';
      const verdict = judgeActor({
        by,
        allowed: request.allowed,
        submittedBy: request.submittedBy,
        shownPlanHash: message.kind === 'approve' && typeof message.signal.planHash === 'string' ? message.signal.planHash : undefined,
        currentPlanHash: request.planHash,
      });
      if (!verdict.counts) {
        this.audit.record('APPROVAL_REFUSED', `${message.kind} from ${by || '(nobody)'} refused: ${verdict.why}`, { actor: by });
        continue;
      }
      if (message.kind === 'reject') {
        const reason = typeof message.signal.reason === 'string' ? message.signal.reason.trim() : '';
        if (!reason) {
          this.audit.record('APPROVAL_REFUSED', `rejection from ${by} refused: a rejection needs a reason`, { actor: by });
          continue;
        }
        this.audit.record('REJECTED', `rejected by ${by}: ${reason}`, { actor: by });
        return { kind: 'rejected', by, reason };
      }
      const actor = normaliseActor(by);
      if (this.approvals.some((a) => normaliseActor(a.by) === actor)) {
        this.audit.record('APPROVAL_REFUSED', `${by} already approved; quorum needs distinct approvers`, { actor: by });
        continue;
      }
      const reason = typeof message.signal.reason === 'string' ? message.signal.reason : undefined;
      const record: ApprovalRecord = { by, reason, at: new Date(Date.now()).toISOString(), planHash: request.planHash };
      this.approvals.push(record);
      this.audit.record(
        'APPROVED',
        `approved by ${record.by} (${this.approvals.length}/${request.quorum})${record.reason ? `: ${record.reason}` : ''}`,
        {
          actor: record.by,
        },
      );
      if (this.approvals.length >= request.quorum) return { kind: 'approved', approvals: [...this.approvals] };
    }
    return undefined;
  }
}
