/**
 * A remediation's side of the guardrail protocol: requests go to the coordinator as signals and its
 * answers come back as signals to this run. Fail closed: no coordinator, or no answer within the
 * bound, means the remediation does not act. While it holds a slot it renews its lease; a lease the
 * coordinator declares lost stops the remediation before its next action or rollback step.
 */
import { condition, getExternalWorkflowHandle, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { CheckRequest, GuardrailReply, GuardrailRequest, GuardrailVerdict } from '../dsl/guardrail-protocol';
import type { Lease, ReleaseResult } from '../dsl/guardrail-state';
import { guardrailReplySignal, guardrailRequestSignal } from '../contracts/guardrail-messages';

export type ChannelVerdict = GuardrailVerdict | { kind: 'unavailable'; reason: string };

export interface ChannelSettings {
  /** Workflow id of the coordinator, from the worker's configuration. */
  coordinatorId: string;
  /** How long to wait for an answer before giving up (and not acting). */
  replyTimeoutMs: number;
  /** How long an approved run waits in line for a slot (absent: as long as the reply timeout). */
  queueTimeoutMs?: number;
}

export class GuardrailChannel {
  private readonly verdicts = new Map<string, GuardrailVerdict>();
  private seq = 0;
  private held: Lease | undefined;
  /** Why the held lease was lost, once the coordinator says so. */
  lost: string | undefined;

  constructor(private readonly settings: ChannelSettings) {
    setHandler(guardrailReplySignal, (reply: GuardrailReply) => this.receive(reply));
  }

  get lease(): Lease | undefined {
    return this.held;
  }

  /**
   * Evaluates the guardrails for this run; with `reserve`, takes the slot too. An approved run short
   * of capacity is told it is queued and waits on for its grant; `onQueued` records that.
   */
  async check(request: Omit<CheckRequest, 'kind' | 'requestId' | 'from'>, onQueued?: (reason: string) => void): Promise<ChannelVerdict> {
    const requestId = this.nextId();
    const sent = this.send({ kind: 'check', requestId, from: this.origin(), ...request });
    let failed: string | undefined;
    void sent.then((error) => (failed = error));
    let waitMs = this.settings.replyTimeoutMs;
    let queued = false;
    for (;;) {
      const answered = await condition(() => this.verdicts.has(requestId) || failed !== undefined, waitMs);
      const verdict = this.verdicts.get(requestId);
      this.verdicts.delete(requestId);
      if (verdict?.kind === 'queued') {
        queued = true;
        onQueued?.(verdict.reason);
        waitMs = this.settings.queueTimeoutMs ?? this.settings.replyTimeoutMs;
        continue;
      }
      if (verdict) {
        if (verdict.kind === 'granted') this.hold(verdict.lease, request.leaseMs);
        return verdict;
      }
      if (failed !== undefined)
        return { kind: 'unavailable', reason: `the guardrail coordinator ${this.settings.coordinatorId} cannot be reached: ${failed}` };
      if (!answered) {
        // It may still answer: make sure a late grant is void rather than a slot nobody releases.
        void this.send({
          kind: 'release',
          requestId: this.nextId(),
          from: this.origin(),
          incidentId: request.incidentId,
          abandons: requestId,
          result: 'no_action',
        });
      }
      if (queued) {
        return {
          kind: 'blocked',
          event: 'BLAST_LIMITED',
          reason: `no guardrail slot freed within ${Math.round(waitMs / 60_000)} min of waiting in line`,
        };
      }
      return {
        kind: 'unavailable',
        reason: `the guardrail coordinator ${this.settings.coordinatorId} did not answer within ${Math.round(this.settings.replyTimeoutMs / 1000)} s`,
      };
    }
  }

  /** Returns the slot. Awaited: a signal from a run that has already closed may never be delivered. */
  async release(result: ReleaseResult): Promise<string | undefined> {
    const lease = this.held;
    if (!lease) return undefined;
    this.held = undefined;
    return await this.send({
      kind: 'release',
      requestId: this.nextId(),
      from: this.origin(),
      incidentId: lease.incidentId,
      leaseId: lease.leaseId,
      result,
    });
  }

  private hold(lease: Lease, leaseMs: number): void {
    this.held = lease;
    this.lost = undefined;
    void this.renewWhileHeld(lease, leaseMs);
  }

  /** Renews three times per lease period; the timer is simply left behind once the slot is returned. */
  private async renewWhileHeld(lease: Lease, leaseMs: number): Promise<void> {
    const every = Math.max(1_000, Math.floor(leaseMs / 3));
    for (;;) {
      await sleep(every);
      if (this.held !== lease || this.lost !== undefined || lease.leaseId === undefined) return;
      await this.send({
        kind: 'renew',
        requestId: this.nextId(),
        from: this.origin(),
        incidentId: lease.incidentId,
        leaseId: lease.leaseId,
        leaseMs,
      });
    }
  }

  private receive(reply: GuardrailReply): void {
    // Anyone may signal this run: keep only well-formed answers to questions it asked.
    if (reply?.kind === 'verdict' && typeof reply.requestId === 'string' && reply.verdict && typeof reply.verdict.kind === 'string') {
      this.verdicts.set(reply.requestId, reply.verdict);
    } else if (reply?.kind === 'lease_lost' && this.held && reply.leaseId === this.held.leaseId) {
      this.lost = typeof reply.reason === 'string' ? reply.reason : 'the coordinator declared the lease lost';
    }
  }

  /** Sends one request; resolves with the reason it could not be delivered, or undefined. */
  private async send(request: GuardrailRequest): Promise<string | undefined> {
    try {
      await getExternalWorkflowHandle(this.settings.coordinatorId).signal(guardrailRequestSignal, request);
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  private origin() {
    const info = workflowInfo();
    return { workflowId: info.workflowId, runId: info.runId };
  }

  private nextId(): string {
    this.seq += 1;
    return `${workflowInfo().runId}/${this.seq}`;
  }
}
