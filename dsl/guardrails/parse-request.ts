/**
 * Guardrail requests as they arrive, checked field by field: anyone who may signal the coordinator
 * can send anything, and a malformed request must be refused, never throw inside its task.
 */
import type { CheckRequest, GuardrailRequest } from './protocol-types';

/** A request as it arrived, or why it is refused. */
export function parseGuardrailRequest(raw: unknown): GuardrailRequest | { invalid: string } {
  if (!isRecord(raw)) return { invalid: 'not an object' };
  const from = raw.from;
  // The server refuses a signal to a run id that is not a UUID by failing the sender's whole workflow
  // task: one crafted request must not wedge the coordinator, so such a request never gets an answer.
  if (!isRecord(from) || !isId(from.workflowId) || !isRunId(from.runId))
    return { invalid: 'from: expected { workflowId, runId } with a run id that is a UUID' };
  if (!isId(raw.requestId) || !isId(raw.incidentId)) return { invalid: 'requestId and incidentId must be non-empty strings' };
  const base = { requestId: raw.requestId, incidentId: raw.incidentId, from: { workflowId: from.workflowId, runId: from.runId } };
  switch (raw.kind) {
    case 'renew':
      if (!isId(raw.leaseId) || !isDuration(raw.leaseMs)) return { invalid: 'renew: leaseId and leaseMs expected' };
      return { kind: 'renew', ...base, leaseId: raw.leaseId, leaseMs: raw.leaseMs };
    case 'release': {
      if (raw.result !== 'success' && raw.result !== 'failure' && raw.result !== 'no_action')
        return { invalid: 'release: result must be success, failure or no_action' };
      if (raw.leaseId !== undefined && !isId(raw.leaseId)) return { invalid: 'release: leaseId must be a string' };
      if (raw.abandons !== undefined && !isId(raw.abandons)) return { invalid: 'release: abandons must be a string' };
      return { kind: 'release', ...base, result: raw.result, leaseId: raw.leaseId, abandons: raw.abandons };
    }
    case 'check':
      return parseCheck(raw, base);
    default:
      return { invalid: `unknown kind ${JSON.stringify(raw.kind)}` };
  }
}

function parseCheck(
  raw: Record<string, unknown>,
  base: Pick<CheckRequest, 'requestId' | 'incidentId' | 'from'>,
): CheckRequest | { invalid: string } {
  const { incident, runbook } = raw;
  if (
    !isRecord(incident) ||
    !isId(incident.id) ||
    !isId(incident.service) ||
    !Array.isArray(incident.services) ||
    !incident.services.every(isId)
  ) {
    return { invalid: 'check: incident needs id, service and services' };
  }
  if (
    !isRecord(runbook) ||
    !isId(runbook.id) ||
    !['LOW', 'MEDIUM', 'HIGH'].includes(runbook.risk as string) ||
    !isRecord(runbook.guardrails)
  ) {
    return { invalid: 'check: runbook needs id, risk and guardrails' };
  }
  const g = runbook.guardrails;
  const breaker = g.circuitBreaker;
  if (
    ![g.maxPerHour, g.blastRadiusLimit].every(isCount) ||
    !isDuration(g.cooldownMs) ||
    !isRecord(breaker) ||
    !isCount(breaker.failureThreshold) ||
    !isDuration(breaker.recoveryTimeoutMs)
  ) {
    return { invalid: 'check: runbook.guardrails malformed' };
  }
  if (typeof raw.humanApproved !== 'boolean' || typeof raw.reserve !== 'boolean' || !isDuration(raw.leaseMs))
    return { invalid: 'check: humanApproved, reserve and leaseMs expected' };
  return {
    kind: 'check',
    ...base,
    incident: { id: incident.id, service: incident.service, services: [...incident.services] as string[] },
    runbook: {
      id: runbook.id,
      risk: runbook.risk as CheckRequest['runbook']['risk'],
      guardrails: {
        maxPerHour: g.maxPerHour as number,
        cooldownMs: g.cooldownMs,
        blastRadiusLimit: g.blastRadiusLimit as number,
        circuitBreaker: { failureThreshold: breaker.failureThreshold, recoveryTimeoutMs: breaker.recoveryTimeoutMs },
      },
    },
    humanApproved: raw.humanApproved,
    reserve: raw.reserve,
    leaseMs: raw.leaseMs,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 512;
}

function isRunId(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isDuration(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
