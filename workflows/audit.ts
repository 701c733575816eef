import type { AuditEventType } from '../dsl/types';
import type { AuditEvent } from '../contracts/types';

/** The audit trail of one remediation, stamped with workflow time (deterministic, replay-safe). */
export class AuditTrail {
  readonly events: AuditEvent[] = [];

  record(type: AuditEventType, message: string, extra: Omit<AuditEvent, 'type' | 'at' | 'message'> = {}): AuditEvent {
    const event: AuditEvent = { type, at: new Date(Date.now()).toISOString(), message, ...extra };
    this.events.push(event);
    return event;
  }
}
