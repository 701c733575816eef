/**
 * One durable timer for the coordinator's earliest deadline. It is replaced only when a deadline
 * earlier than the armed one appears; a later or equal one leaves it alone, so a batch does not
 * cancel and restart a timer. A wake-up whose deadline went away in the meantime is harmless.
 */
import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';

export class Alarm {
  fired = false;
  private armedAt: number | undefined;
  private scope: CancellationScope | undefined;

  set(at: number | undefined, nowMs: number): void {
    if (at === undefined || (this.armedAt !== undefined && this.armedAt <= at)) return;
    this.scope?.cancel();
    const scope = new CancellationScope();
    this.scope = scope;
    this.armedAt = at;
    scope
      .run(() => sleep(Math.max(1, at - nowMs)))
      .then(
        () => {
          if (this.scope !== scope) return;
          this.fired = true;
          this.armedAt = undefined;
          this.scope = undefined;
        },
        (error: unknown) => {
          if (!isCancellation(error)) throw error;
        },
      );
  }

  /** Clears `fired` and says whether it was set. */
  take(): boolean {
    const fired = this.fired;
    this.fired = false;
    return fired;
  }
}
