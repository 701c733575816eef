import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SignedStatement } from '../dsl/trust/types';
import type { AlertResolvedSignal, ApproveSignal, DecisionAnswer, RejectSignal, RemediationStatus } from './types';

/** A signed approval or rejection; the answer says at once whether it counted and why not. */
export const decideUpdate = defineUpdate<DecisionAnswer, [SignedStatement]>('decide');
/** Unsigned approvals: honoured only by runs recorded before `operator-policy`, refused (and audited) by newer runs. */
export const approveSignal = defineSignal<[ApproveSignal]>('approve');
export const rejectSignal = defineSignal<[RejectSignal]>('reject');
/** The incident's alert resolved: recorded; a request still waiting for approval is withdrawn (`alert-resolved`). */
export const alertResolvedSignal = defineSignal<[AlertResolvedSignal]>('alertResolved');
export const statusQuery = defineQuery<RemediationStatus>('status');

/** Workflow id of an incident's remediation: one per incident, so a repeated alert attaches to it. */
export function remediationWorkflowId(incidentId: string): string {
  return `incident-${incidentId}`;
}
