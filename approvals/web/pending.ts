/**
 * What the pages show, read from Temporal: the remediations waiting for approval (visibility, then
 * each one's status query), most urgent first, and one incident's view (status, history, timeline,
 * the guardrail state that applies).
 */
import type { Client } from '@temporalio/client';
import { readRecord, REMEDIATION_WORKFLOW_TYPE, type RemediationRecord } from '../../client/history';
import { queryStatus } from '../../client/status';
import { buildTimeline, type Timeline } from '../../client/timeline';
import { guardrailStateQuery, type GuardrailView } from '../../contracts/guardrail-messages';
import { remediationWorkflowId } from '../../contracts/messages';
import type { RemediationStatus } from '../../contracts/types';
import { decodeHistory, fetchDecodedHistory } from '../../codec/decode-history';

export interface PendingApproval {
  status: RemediationStatus;
  risk: string | null;
  /** When the approval expires (ms), when the runbook says. */
  expiresAtMs: number | null;
}

const MAX_LISTED = 100;

export async function pendingApprovals(client: Client): Promise<PendingApproval[]> {
  const query = `WorkflowType = '${REMEDIATION_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`;
  const found: PendingApproval[] = [];
  for await (const info of client.workflow.list({ query, pageSize: MAX_LISTED })) {
    const handle = client.workflow.getHandle(info.workflowId, info.runId);
    const status = await queryStatus(handle, 2_000).catch(() => undefined);
    if (status?.phase !== 'awaiting_approval') continue;
    const record = readRecord(await fetchDecodedHistory(handle));
    found.push(pendingOf(status, record));
    if (found.length >= MAX_LISTED) break;
  }
  // Least time left first; one without an expiry last.
  return found.sort((a, b) => (a.expiresAtMs ?? Infinity) - (b.expiresAtMs ?? Infinity));
}

export function pendingOf(status: RemediationStatus, record: RemediationRecord): PendingApproval {
  const runbook = record.catalogue.runbooks.find((r) => r.id === status.runbook);
  // The approval was asked for at the last APPROVAL_REQUIRED (or the plan's renewal after a void).
  const asked = [...status.events].reverse().find((e) => e.type === 'APPROVAL_REQUIRED' || e.type === 'APPROVAL_VOID');
  const askedAtMs = asked ? Date.parse(asked.at) : record.startedAtMs;
  return {
    status,
    risk: runbook?.risk ?? null,
    expiresAtMs: runbook ? askedAtMs + runbook.approval.timeoutMs : null,
  };
}

export interface IncidentView {
  pending: PendingApproval | undefined;
  status: RemediationStatus | undefined;
  record: RemediationRecord;
  timeline: Timeline;
  guardrails: GuardrailView | undefined;
}

/** undefined when there is no such remediation. */
export async function incidentView(client: Client, incidentId: string, coordinatorId: string): Promise<IncidentView | undefined> {
  const handle = client.workflow.getHandle(remediationWorkflowId(incidentId));
  let history;
  try {
    history = await handle.fetchHistory();
  } catch {
    return undefined;
  }
  // Decrypted outside the try: a key problem is an error to see, not a missing remediation.
  const record = readRecord(await decodeHistory(history, client.options.loadedDataConverter.payloadCodecs));
  const status = record.closed ? undefined : await queryStatus(handle).catch(() => undefined);
  const guardrails = await client.workflow
    .getHandle(coordinatorId)
    .query(guardrailStateQuery)
    .catch(() => undefined);
  return {
    pending: status?.phase === 'awaiting_approval' ? pendingOf(status, record) : undefined,
    status,
    record,
    timeline: buildTimeline(history, status?.events),
    guardrails,
  };
}
