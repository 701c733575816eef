/** How an audit event reads on a terminal, for `submit --follow`, `status` and the demo alike. */
import type { AuditEvent } from '../contracts/types';

/** `12:00:01  APPROVED           approved by alice (1/1)`: time of day (UTC), event type, message. */
export function formatEvent(event: AuditEvent): string {
  return `${event.at.slice(11, 19)}  ${event.type.padEnd(18)} ${event.message}`;
}
