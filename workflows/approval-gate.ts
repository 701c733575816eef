/**
 * The approval gate: collects approve/reject signals, counts only authorised distinct approvers
 * for the current plan, escalates before the deadline and expires to manual when nobody decides.
 * Waiting uses `condition` with a timeout: durable timers, so a worker restart loses nothing.
 */
import { condition } from '@temporalio/workflow';
import { judgeActor, normaliseActor } from './approval-rules';
import type { AuditTrail } from './audit';
import type { ApprovalRecord, ApproveSignal, RejectSignal } from './types';

type Inbound = { kind: 'approve'; signal: ApproveSignal } | { kind: 'reject'; signal: RejectSignal };

export type GateOutcome =
  | { kind: 'approved'; approvals: ApprovalRecord[] }
  | { kind: 'rejected'; by: string; reason: string }
  | { kind: 'expired' };

export interface GateRequest {
  planHash: string;
  allowed: Set<string>;
  quorum: number;
  submittedBy?: string;
  timeoutMs: number;
  escalateAfterMs: number;
  onEscalate: () => Promise<void>;
}

export class ApprovalGate {
  private readonly inbox: Inbound[] = [];
  /** Approvals that counted in the current round, visible to the status query. */
  approvals: ApprovalRecord[] = [];

  constructor(private readonly audit: AuditTrail) {}

  /** Signal handlers call these; signals that arrive before the gate opens wait in the inbox. */
  receiveApprove(signal: ApproveSignal): void {
    this.inbox.push({ kind: 'approve', signal });
  }

  receiveReject(signal: RejectSignal): void {
    this.inbox.push({ kind: 'reject', signal });
  }

  async wait(request: GateRequest): Promise<GateOutcome> {
    this.approvals = [];
    const deadline = Date.now() + request.timeoutMs;
    const escalateAt = Date.now() + Math.min(request.escalateAfterMs, request.timeoutMs);
    let escalated = false;
    for (;;) {
      const decided = this.drain(request);
      if (decided) return decided;
      const now = Date.now();
      if (now >= deadline) return { kind: 'expired' };
      const wakeAt = escalated ? deadline : Math.min(escalateAt, deadline);
      const signalled = await condition(() => this.inbox.length > 0, Math.max(1, wakeAt - now));
      if (!signalled && !escalated && Date.now() >= escalateAt && Date.now() < deadline) {
        escalated = true;
        await request.onEscalate();
      }
    }
  }

  private drain(request: GateRequest): GateOutcome | undefined {
    while (this.inbox.length > 0) {
      const message = this.inbox.shift()!;
      const verdict = judgeActor({
        by: message.signal.by,
        allowed: request.allowed,
        submittedBy: request.submittedBy,
        shownPlanHash: message.kind === 'approve' ? message.signal.planHash : undefined,
        currentPlanHash: request.planHash,
      });
      if (!verdict.counts) {
        this.audit.record('APPROVAL_REFUSED', `${message.kind} from ${message.signal.by || '(nobody)'} refused: ${verdict.why}`, {
          actor: message.signal.by,
        });
        continue;
      }
      if (message.kind === 'reject') {
        const reason = message.signal.reason?.trim();
        if (!reason) {
          this.audit.record('APPROVAL_REFUSED', `rejection from ${message.signal.by} refused: a rejection needs a reason`, { actor: message.signal.by });
          continue;
        }
        this.audit.record('REJECTED', `rejected by ${message.signal.by}: ${reason}`, { actor: message.signal.by });
        return { kind: 'rejected', by: message.signal.by, reason };
      }
      const actor = normaliseActor(message.signal.by);
      if (this.approvals.some((a) => normaliseActor(a.by) === actor)) {
        this.audit.record('APPROVAL_REFUSED', `${message.signal.by} already approved; quorum needs distinct approvers`, { actor: message.signal.by });
        continue;
      }
      const record: ApprovalRecord = {
        by: message.signal.by,
        reason: message.signal.reason,
        at: new Date(Date.now()).toISOString(),
        planHash: request.planHash,
      };
      this.approvals.push(record);
      this.audit.record('APPROVED', `approved by ${record.by} (${this.approvals.length}/${request.quorum})${record.reason ? `: ${record.reason}` : ''}`, {
        actor: record.by,
      });
      if (this.approvals.length >= request.quorum) return { kind: 'approved', approvals: [...this.approvals] };
    }
    return undefined;
  }
}
