/**
 * The incident's alert resolved (the alertResolved signal, runs with `alert-resolved`): remembered, so
 * that an approval request open now, or made later, is withdrawn as "resolved on its own". Anyone may
 * send the signal: junk is ignored, and only the first valid one is recorded, which keeps a flood of
 * them out of history.
 */
import type { AlertResolvedSignal } from '../contracts/types';
import type { AuditTrail } from './audit';

const MAX_FIELD_CHARS = 128;

export class AlertResolution {
  private resolved: AlertResolvedSignal | undefined;
  /** Whether the audit says the request was withdrawn (the resolution may come before the request is made). */
  private withdrawalAudited = false;

  constructor(private readonly audit: AuditTrail) {}

  get current(): AlertResolvedSignal | undefined {
    return this.resolved;
  }

  /** `waiting`: an approval request is open and undecided, so this withdraws it. */
  receive(signal: unknown, waiting: boolean): void {
    const resolved = alertResolvedOf(signal);
    if (!resolved || this.resolved) return;
    this.resolved = resolved;
    this.withdrawalAudited = waiting;
    this.audit.record(
      'ALERT_RESOLVED',
      `the alert resolved at ${resolved.endsAt} (reported by ${resolved.source})` +
        (waiting ? '; the approval request is withdrawn: resolved on its own' : ''),
      { actor: resolved.source, data: { endsAt: resolved.endsAt } },
    );
  }

  /** The request is withdrawn; said in the audit if the resolution came before it was made. */
  withdraw(resolved: AlertResolvedSignal): AlertResolvedSignal {
    if (!this.withdrawalAudited) {
      this.withdrawalAudited = true;
      this.audit.record('ALERT_RESOLVED', 'the approval request is withdrawn: the alert resolved on its own before it was asked', {
        actor: resolved.source,
      });
    }
    return resolved;
  }
}

/** The signal's own fields, if it has the shape; a JSON payload, but from anyone. */
function alertResolvedOf(signal: unknown): AlertResolvedSignal | undefined {
  if (typeof signal !== 'object' || signal === null || Array.isArray(signal)) return undefined;
  const source: unknown = Object.hasOwn(signal, 'source') ? Reflect.get(signal, 'source') : undefined;
  const endsAt: unknown = Object.hasOwn(signal, 'endsAt') ? Reflect.get(signal, 'endsAt') : undefined;
  if (typeof source !== 'string' || source.length === 0 || source.length > MAX_FIELD_CHARS) return undefined;
  if (typeof endsAt !== 'string' || endsAt.length > MAX_FIELD_CHARS || !Number.isFinite(Date.parse(endsAt))) return undefined;
  return { source, endsAt };
}
