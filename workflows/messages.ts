import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ApproveSignal, RejectSignal, RemediationStatus } from './types';

export const approveSignal = defineSignal<[ApproveSignal]>('approve');
export const rejectSignal = defineSignal<[RejectSignal]>('reject');
export const statusQuery = defineQuery<RemediationStatus>('status');

/** Workflow id of an incident's remediation: one per incident, so a repeated alert attaches to it. */
export function remediationWorkflowId(incidentId: string): string {
  return `incident-${incidentId}`;
}
