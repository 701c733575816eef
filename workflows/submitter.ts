/**
 * Who submitted an incident, as the submitter's signature says (the CLI's `submit --key`, later the
 * HTTP intake's gateway key), never as the incident body says. An unsigned or badly signed
 * submission is unauthenticated: it still runs, but nobody is its known submitter.
 */
import { verifySubmission } from '../dsl/trust/statement';
import type { TrustPolicy } from '../dsl/trust/types';
import type { Incident } from '../dsl/types';

export const NO_TRUST: TrustPolicy = { allowedSigners: [], gateways: [], statementMaxAgeMs: 15 * 60_000 };

export function describeSubmitter(submission: unknown, incident: Incident, trust: TrustPolicy): { principal?: string; summary: string } {
  if (submission === undefined || submission === null) return { summary: 'submitted unsigned (no authenticated submitter)' };
  const verified = verifySubmission(submission, incident, trust, Date.now());
  if (!verified.ok) return { summary: `submitter's signature refused (${verified.reason}); treated as unsigned` };
  return { principal: verified.principal, summary: `submitted by ${verified.principal} (signed)` };
}
