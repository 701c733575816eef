/**
 * POST /v1/alertmanager: Alertmanager's webhook (version 4). Each alert of the group is answered on its own:
 * - firing: mapped by the operator's rules (intake/alertmanager.ts) and submitted through the one
 *   authenticated path; a repeat (same fingerprint and startsAt) attaches to its remediation;
 * - resolved: recorded on its remediation (the alertResolved signal); one still waiting for approval
 *   withdraws the request, "resolved on its own". No remediation running: recorded nowhere, nothing starts;
 * - no rule maps it: counted and logged, nothing starts; a value that fails its type: refused, with the field.
 * 400 names the field of an invalid payload, and nothing in it starts. 503 when Temporal could not be
 * reached: Alertmanager retries, and whatever started already is attached to again.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { alertResolvedSignal, remediationWorkflowId } from '../contracts/messages';
import type { InputError } from '../dsl/incident';
import type { Incident } from '../dsl/types';
import { alertIncidentId, mapAlert, matchingRule } from './alertmanager';
import { parseAlertmanagerPayload, type Alert } from './alertmanager-payload';
import type { AlertmanagerRule } from './alertmanager-rules';
import type { IntakeResponse, RouteHandler } from './types';

/** What the submission path answers (intake/submit-incident.ts's submitFromSource has this shape). */
export type SubmitAnswer = { kind: 'started' | 'attached'; workflowId: string } | { kind: 'invalid'; errors: InputError[] };

export interface AlertmanagerRouteDeps {
  /** The policy's `alertmanager.rules`, in order. */
  rules: readonly AlertmanagerRule[];
  /** The authenticated submission path: `(source, incident) => submitFromSource(deps, source, incident)`. */
  submit(source: string, incident: Incident): Promise<SubmitAnswer>;
  /** Signals resolved alerts to their remediations. */
  client: Client;
  /** One line per unmapped or refused alert; stderr unless given. */
  log?: (line: string) => void;
}

export type AlertResult = { fingerprint: string; incidentId: string } & (
  | { result: 'started' | 'attached'; rule: string; workflowId: string }
  | { result: 'unmapped' }
  | { result: 'refused'; rule: string; field: string; reason: string }
  /** The resolution reached a running remediation, which recorded it. */
  | { result: 'resolved'; workflowId: string }
  /** No remediation of this alert is running (none started, or it finished): nothing recorded, nothing started. */
  | { result: 'resolved_not_running'; workflowId: string }
);

type ResultKind = AlertResult['result'];
const RESULT_KINDS: readonly ResultKind[] = ['started', 'attached', 'unmapped', 'refused', 'resolved', 'resolved_not_running'];

export function alertmanagerRoute(deps: AlertmanagerRouteDeps): RouteHandler {
  const log = deps.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  return async (request) => {
    const parsed = parseAlertmanagerPayload(request.body);
    if (!parsed.ok) return { status: 400, body: { error: 'invalid Alertmanager payload', errors: parsed.errors } };
    const results: AlertResult[] = [];
    try {
      for (const alert of parsed.payload.alerts) results.push(await handleAlert(deps, request.source, alert, log));
    } catch (error) {
      return unavailable(error, results);
    }
    const counts = Object.fromEntries(RESULT_KINDS.map((kind) => [kind, results.filter((r) => r.result === kind).length]));
    return { status: 200, body: { alerts: results, counts } };
  };
}

async function handleAlert(deps: AlertmanagerRouteDeps, source: string, alert: Alert, log: (line: string) => void): Promise<AlertResult> {
  const incidentId = alertIncidentId(alert);
  const about = { fingerprint: alert.fingerprint, incidentId };
  const name = JSON.stringify((alert.labels.get('alertname') ?? '').slice(0, 128));
  if (alert.status === 'resolved') {
    if (!matchingRule(alert, deps.rules)) {
      log(`alertmanager: resolved alert ${name} (${alert.fingerprint}) from ${source} matches no rule; ignored`);
      return { ...about, result: 'unmapped' };
    }
    return { ...about, ...(await recordResolved(deps.client, source, incidentId, alert.endsAt)) };
  }
  const mapped = mapAlert(alert, deps.rules);
  switch (mapped.kind) {
    case 'unmapped':
      log(`alertmanager: alert ${name} (${alert.fingerprint}) from ${source} matches no rule; nothing started`);
      return { ...about, result: 'unmapped' };
    case 'refused':
      log(`alertmanager: alert ${name} (${alert.fingerprint}) refused by rule ${mapped.rule}: ${mapped.field}: ${mapped.reason}`);
      return { ...about, result: 'refused', rule: mapped.rule, field: mapped.field, reason: mapped.reason };
    case 'incident': {
      const answer = await deps.submit(source, mapped.incident);
      if (answer.kind === 'invalid') {
        const reason = answer.errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; ');
        return { ...about, result: 'refused', rule: mapped.rule, field: answer.errors[0]?.field || '(incident)', reason };
      }
      return { ...about, result: answer.kind, rule: mapped.rule, workflowId: answer.workflowId };
    }
  }
}

async function recordResolved(
  client: Client,
  source: string,
  incidentId: string,
  endsAt: string,
): Promise<{ result: 'resolved' | 'resolved_not_running'; workflowId: string }> {
  const workflowId = remediationWorkflowId(incidentId);
  try {
    await client.workflow.getHandle(workflowId).signal(alertResolvedSignal, { source, endsAt });
    return { result: 'resolved', workflowId };
  } catch (error) {
    // Never started, or already closed: the signal reaches nothing, and nothing is started for it.
    if (error instanceof WorkflowNotFoundError) return { result: 'resolved_not_running', workflowId };
    throw error;
  }
}

function unavailable(error: unknown, handled: AlertResult[]): IntakeResponse {
  const message = error instanceof Error ? error.message : String(error);
  return {
    status: 503,
    headers: { 'Retry-After': '10' },
    body: { error: `the remediation engine could not be reached: ${message}`, handledBeforeTheError: handled },
  };
}
