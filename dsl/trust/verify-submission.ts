/** Verifying a signed submission against the incident it is meant to sign. */
import { incidentSha256 } from './canonical';
import { clip, parseSubmissionStatement } from './read-statement';
import { readEnvelope, refuse, signingKey, timeProblem } from './signed-envelope';
import type { SubmissionStatement, TrustPolicy, Verified } from './types';

/** Verifies a submission that arrived as untrusted data against the incident it is meant to sign. */
export function verifySubmission(signed: unknown, incident: unknown, trust: TrustPolicy, nowMs: number): Verified<SubmissionStatement> {
  const envelope = readEnvelope(signed);
  if (!envelope.ok) return envelope;
  const parsed = parseSubmissionStatement(envelope.statement);
  if (!parsed.ok) return refuse(`malformed statement: ${parsed.error}`);
  const statement = parsed.value;
  const key = signingKey(envelope, trust, nowMs);
  if (!key.ok) return key;
  if (key.principals.length > 1)
    return refuse(`the key ${key.fingerprint} has several principals (${key.principals.join(', ')}); a submitter's key must have one`);
  const incidentId = typeof incident === 'object' && incident !== null ? (incident as { id?: unknown }).id : undefined;
  if (typeof incidentId !== 'string') return refuse(`for incident ${clip(statement.incidentId)}, but the incident has no id`);
  if (statement.incidentId !== incidentId) return refuse(`for incident ${clip(statement.incidentId)}, not ${clip(incidentId)}`);
  const actual = incidentSha256(incident);
  if (statement.incidentSha256 !== actual)
    return refuse(
      `for incident content ${statement.incidentSha256.slice(0, 12)}, the incident's is ${actual.slice(0, 12)}: it differs from what was signed`,
    );
  const stale = timeProblem(statement.at, trust.statementMaxAgeMs, nowMs);
  if (stale) return refuse(stale);
  return { ok: true, principal: key.principals[0]!, statement };
}
