export type NotificationKind =
  | 'decision'
  | 'approval_needed'
  | 'approved'
  | 'rejected'
  | 'expired'
  | 'resolved'
  | 'escalation'
  | 'success'
  | 'failure'
  | 'rollback'
  | 'rollback_failed'
  | 'blocked'
  | 'manual';

export type Severity = 'info' | 'warning' | 'critical';

/**
 * One message about one incident. Plain JSON, so it can be an activity argument.
 * Every string may carry incident data, which is untrusted: sinks that render
 * text (Slack) sanitise it; structured sinks rely on JSON encoding.
 */
export interface Notification {
  incidentId: string;
  runbookId: string | null;
  kind: NotificationKind;
  severity: Severity;
  title: string;
  text: string;
  fields: Record<string, string | number | boolean | null>;
  /** The command an approver runs, shown verbatim (as code) to the approver. */
  approveCommand?: string;
  /** Link to the incident in a web UI (Temporal's, typically). */
  webUrl?: string;
}

/** What happened at one sink; `notify` returns one per sink and never throws. */
export interface SinkResult {
  sink: string;
  ok: boolean;
  error?: string;
}

export interface Sink {
  /** Identifies the sink in results and audit; never contains a secret. */
  readonly name: string;
  /** Rejects on failure; should stop work when `signal` aborts (the dispatcher stops waiting then anyway). */
  send(notification: Notification, signal: AbortSignal): Promise<void>;
}
