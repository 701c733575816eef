/**
 * What a button (and the reject modal) carries back: the incident and the plan hash the person saw.
 * It returns through Slack, so it is parsed as hostile: bounded, a JSON object with exactly these
 * two fields, an incident identifier and a sha256 hex plan hash.
 */
import { IDENTIFIER } from '../../dsl/incident-limits';

export interface ApprovalTarget {
  incidentId: string;
  planHash: string;
}

/** Well under Slack's 2000-character button value and 3000-character private_metadata. */
export const MAX_TARGET_CHARS = 300;
const PLAN_HASH = /^[0-9a-f]{64}$/;

export function encodeTarget(target: ApprovalTarget): string {
  return JSON.stringify({ incident: target.incidentId, plan: target.planHash });
}

export function decodeTarget(text: unknown): ApprovalTarget | undefined {
  if (typeof text !== 'string' || text.length > MAX_TARGET_CHARS) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const fields = new Map(Object.entries(value));
  if (fields.size !== 2) return undefined;
  const incident = fields.get('incident');
  const plan = fields.get('plan');
  if (typeof incident !== 'string' || !IDENTIFIER.test(incident)) return undefined;
  if (typeof plan !== 'string' || !PLAN_HASH.test(plan)) return undefined;
  return { incidentId: incident, planHash: plan };
}

export function isTarget(incidentId: unknown, planHash: unknown): boolean {
  return typeof incidentId === 'string' && IDENTIFIER.test(incidentId) && typeof planHash === 'string' && PLAN_HASH.test(planHash);
}
