/**
 * Answers from the coordinator to requesting runs, as external signals with a cap on how many are in
 * flight: the server refuses a workflow more than a few thousand pending outgoing signals
 * (`limit.numPendingSignals.error`), so a storm's answers go out in waves, not all at once.
 */
import { getExternalWorkflowHandle } from '@temporalio/workflow';
import type { Outgoing } from '../../dsl/guardrail-protocol';
import { guardrailReplySignal } from '../../contracts/guardrail-messages';

export class Outbox {
  private readonly queue: Outgoing[] = [];
  private inFlight = 0;

  constructor(
    private readonly maxInFlight: number,
    /** An answer that could not be delivered: its run is gone (terminated, or finished without waiting). */
    private readonly onUndeliverable: (outgoing: Outgoing) => void,
  ) {}

  send(items: readonly Outgoing[]): void {
    this.queue.push(...items);
    this.pump();
  }

  /** Requests the coordinator may still take this turn without queueing answers past the cap. */
  room(): number {
    return Math.max(0, this.maxInFlight - this.inFlight - this.queue.length);
  }

  idle(): boolean {
    return this.inFlight === 0 && this.queue.length === 0;
  }

  pending(): number {
    return this.inFlight + this.queue.length;
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const outgoing = this.queue.shift()!;
      this.inFlight += 1;
      getExternalWorkflowHandle(outgoing.to.workflowId, outgoing.to.runId)
        .signal(guardrailReplySignal, outgoing.reply)
        .catch(() => this.onUndeliverable(outgoing))
        .finally(() => {
          this.inFlight -= 1;
          this.pump();
        });
    }
  }
}
