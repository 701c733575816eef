/**
 * Finding remediations through visibility: the workflow type plus the search attributes the
 * workflow sets (contracts/search-attributes.ts), and reading each one's record from its history.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { Outcome } from '../dsl/types';
import { DECISION, OUTCOME, RUNBOOK, SERVICE } from '../contracts/search-attributes';
import { NotARemediationError, readRecord, REMEDIATION_WORKFLOW_TYPE, type History, type RemediationRecord } from './history';
import { EXIT, UserFacingError } from '../dsl/user-facing-error';
import { decodeHistory } from '../codec/decode-history';

export interface RemediationFilter {
  outcome?: Outcome;
  runbook?: string;
  service?: string;
  /** Only closed workflows, closed at or after this time. */
  closedSince?: Date;
  closedOnly?: boolean;
}

/** A filter value that cannot be put in a visibility query safely. */
export class FilterValueError extends UserFacingError {
  override readonly name = 'FilterValueError';
  readonly exitCode = EXIT.USAGE;
}

// Runbook ids, service names and outcomes: no quotes, so a value can never change the query's meaning.
const SAFE_VALUE = /^[A-Za-z0-9_.:/@-]+$/;

function equals(key: string, value: string, flag: string): string {
  if (!SAFE_VALUE.test(value)) throw new FilterValueError(`${flag}: "${value}" may contain only letters, digits and _ . : / @ -`);
  return `${key} = '${value}'`;
}

export function remediationQuery(filter: RemediationFilter = {}): string {
  const parts = [`WorkflowType = '${REMEDIATION_WORKFLOW_TYPE}'`];
  if (filter.outcome) parts.push(equals(OUTCOME.name, filter.outcome, '--outcome'));
  if (filter.runbook) parts.push(equals(RUNBOOK.name, filter.runbook, '--runbook'));
  if (filter.service) parts.push(equals(SERVICE.name, filter.service, '--service'));
  if (filter.closedOnly || filter.closedSince) parts.push(`ExecutionStatus != 'Running'`);
  if (filter.closedSince) parts.push(`CloseTime >= '${filter.closedSince.toISOString()}'`);
  return parts.join(' AND ');
}

export interface RemediationSummary {
  workflowId: string;
  runId: string;
  status: string;
  startTime: string;
  closeTime: string | null;
  service: string | null;
  runbook: string | null;
  decision: string | null;
  outcome: string | null;
}

export function summarise(info: WorkflowExecutionInfo): RemediationSummary {
  const attr = (key: typeof RUNBOOK) => info.typedSearchAttributes.get(key) ?? null;
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    status: info.status.name,
    startTime: info.startTime.toISOString(),
    closeTime: info.closeTime?.toISOString() ?? null,
    service: attr(SERVICE),
    runbook: attr(RUNBOOK),
    decision: attr(DECISION),
    outcome: attr(OUTCOME),
  };
}

/** `query` comes from remediationQuery, built before connecting so a bad filter fails first. */
export async function listRemediations(client: Client, query: string, limit: number): Promise<RemediationSummary[]> {
  const out: RemediationSummary[] = [];
  for await (const info of client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
    out.push(summarise(info));
    if (out.length >= limit) break;
  }
  return out;
}

export interface StoredRemediation {
  workflowId: string;
  record: RemediationRecord;
}

export interface StoredRemediations {
  records: StoredRemediation[];
  /** Histories that could not be read as a remediation, and why. */
  skipped: { workflowId: string; reason: string }[];
}

/** The records of the remediations matching a filter, read from their histories (a few at a time). */
export async function readRemediations(client: Client, query: string, limit: number): Promise<StoredRemediations> {
  const out: StoredRemediations = { records: [], skipped: [] };
  const histories = client.workflow.list({ query, pageSize: Math.min(limit, 1000) }).intoHistories({ concurrency: 8 });
  for await (const { workflowId, history } of histories) {
    try {
      const codecs = client.options.loadedDataConverter.payloadCodecs;
      out.records.push({ workflowId, record: readRecord(await decodeHistory(history as History, codecs)) });
    } catch (error) {
      if (!(error instanceof NotARemediationError)) throw error;
      out.skipped.push({ workflowId, reason: error.message });
    }
    if (out.records.length + out.skipped.length >= limit) break;
  }
  return out;
}
