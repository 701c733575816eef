import { defineSearchAttributeKey } from '@temporalio/common';

/** Custom search attributes the remediation workflow sets, so operators can list incidents by visibility query. */
export const RUNBOOK = defineSearchAttributeKey('RemediateRunbook', 'KEYWORD');
export const SERVICE = defineSearchAttributeKey('RemediateService', 'KEYWORD');
export const DECISION = defineSearchAttributeKey('RemediateDecision', 'KEYWORD');
export const OUTCOME = defineSearchAttributeKey('RemediateOutcome', 'KEYWORD');

export const ALL_SEARCH_ATTRIBUTES = [RUNBOOK, SERVICE, DECISION, OUTCOME];
