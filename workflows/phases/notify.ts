/** Sends a notice about this incident and audits what each sink made of it; a notification never fails a remediation. */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Incident } from '../../dsl/types';
import type { RemediationActivities } from '../../activities/remediation';
import type { Notification } from '../../activities/notify/types';
import type { AuditTrail } from '../audit';
import type { OperatorPolicy } from '../../contracts/types';
import type { Notice } from './notices';

const NOTIFY_OPTIONS = { startToCloseTimeout: '30s', retry: { maximumAttempts: 3, initialInterval: '1s' } } as const;
const notifyAsActivity = proxyActivities<RemediationActivities>(NOTIFY_OPTIONS).notify;
// Notifications change nothing in the system under repair: local activities, like read-only checks.
const notifyLocally = proxyLocalActivities<RemediationActivities>(NOTIFY_OPTIONS).notify;

export interface NotifierSettings {
  incident: Incident;
  workflowId: string;
  policy: OperatorPolicy;
  audit: AuditTrail;
  localChecks: boolean;
  /** The chosen runbook's id when the notice is sent (null before a decision named one). */
  runbookId: () => string | null;
}

export function notifier({
  incident,
  workflowId,
  policy,
  audit,
  localChecks,
  runbookId,
}: NotifierSettings): (notice: Notice) => Promise<void> {
  const send = localChecks ? notifyLocally : notifyAsActivity;
  return async (notice) => {
    const full: Notification = {
      incidentId: incident.id,
      runbookId: runbookId(),
      fields: { service: incident.service, root_cause: incident.root_cause, confidence: incident.confidence, ...notice.fields },
      webUrl: policy.webUiUrl ? `${policy.webUiUrl}/namespaces/${policy.namespace}/workflows/${workflowId}` : undefined,
      ...notice,
    };
    try {
      const results = await send(full);
      const failed = results.filter((r) => !r.ok);
      audit.record(
        failed.length === results.length && results.length > 0 ? 'NOTIFY_FAILED' : 'NOTIFIED',
        `${notice.kind}: ${notice.title}`,
        {
          data: {
            kind: notice.kind,
            severity: notice.severity,
            title: notice.title,
            sinks: results.map((r) => `${r.sink}:${r.ok ? 'ok' : r.error}`),
            sinkResults: results.map((r) => ({ sink: r.sink, ok: r.ok, ...(r.ok ? {} : { error: r.error }) })),
          },
        },
      );
    } catch (error) {
      // Notifications never block or fail a remediation.
      audit.record('NOTIFY_FAILED', `${notice.kind}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
}
