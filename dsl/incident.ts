/**
 * Incident validation: untrusted input from the detection pipeline. A bad
 * incident is an error that names the field, never a decision.
 */
import { formatPath } from './describe';
import { incidentSchema, type RawIncident } from './incident-schema';
import { incidentLimitProblems } from './incident-limits';
import { schemaValidator } from './schema-check';
import type { Incident } from './types';

export interface InputError {
  /** The field, e.g. `confidence` or `context` ('' for the whole document). */
  field: string;
  message: string;
}

export type IncidentParse = { ok: true; incident: Incident } | { ok: false; errors: InputError[] };

const validateRaw = schemaValidator<RawIncident>(incidentSchema);

export function parseIncident(data: unknown): IncidentParse {
  // Limits first: nothing else should walk an oversized or overly deep document.
  const limits = incidentLimitProblems(data);
  if (limits.length > 0) return { ok: false, errors: limits };
  const validated = validateRaw(data);
  if (!validated.ok) {
    return { ok: false, errors: validated.issues.map((issue) => ({ field: formatPath(issue.path), message: issue.message })) };
  }
  const raw = validated.value;
  // The seed uses both `service` and `services`; `service` (else the first of `services`) is primary.
  const services = [...new Set([...(raw.service === undefined ? [] : [raw.service]), ...(raw.services ?? [])])];
  const incident: Incident = {
    id: raw.id,
    root_cause: raw.root_cause,
    confidence: raw.confidence,
    service: services[0]!,
    services,
    symptoms: raw.symptoms ?? [],
    context: raw.context ?? {},
  };
  if (raw.submitted_by !== undefined) incident.submitted_by = raw.submitted_by;
  return { ok: true, incident };
}
