/**
 * The one authenticated submission path of every intake route (and `remediate watch`): the incident
 * is validated exactly as `remediate submit` validates it (dsl/incident.ts), and only a valid one is
 * submitted. The source's identity reaches the workflow as a signed submission statement: the source's
 * own key (`signing_key_file`, its principal in allowed_signers), so the workflow's SUBMITTED names it
 * and the self-approval ban applies. A source without a key submits unsigned (no known submitter).
 */
import type { Client } from '@temporalio/client';
import { parseIncident, type InputError } from '../dsl/incident';
import type { SignedStatement } from '../dsl/trust/types';
import type { Incident } from '../dsl/types';
import { submitIncident } from '../client/submit';

export interface SubmitDeps {
  client: Client;
  taskQueue: string;
  /** Signs a source's submission; undefined when that source has no key. */
  sign?: (source: string, incident: Incident) => Promise<SignedStatement | undefined>;
}

export type SourceSubmission =
  { kind: 'invalid'; errors: InputError[] } | { kind: 'started' | 'attached'; incidentId: string; workflowId: string; signed: boolean };

export async function submitFromSource(deps: SubmitDeps, source: string, incident: unknown): Promise<SourceSubmission> {
  const parsed = parseIncident(incident);
  if (!parsed.ok) return { kind: 'invalid', errors: parsed.errors };
  const signed = await deps.sign?.(source, parsed.incident);
  const submission = await submitIncident(deps.client, {
    incident: parsed.incident,
    ...(signed ? { submission: signed } : {}),
    taskQueue: deps.taskQueue,
  });
  return {
    kind: submission.attached ? 'attached' : 'started',
    incidentId: parsed.incident.id,
    workflowId: submission.workflowId,
    signed: signed !== undefined,
  };
}

/** Signs with each source's `signing_key_file` (ssh-keygen, as `submit --key` does); unsigned for a source without one. */
export function sourceSigner(
  sources: readonly { name: string; signingKeyFile?: string }[],
): (source: string, incident: Incident) => Promise<SignedStatement | undefined> {
  const keys = new Map(sources.flatMap((s) => (s.signingKeyFile === undefined ? [] : [[s.name, s.signingKeyFile] as const])));
  return async (source, incident) => {
    const key = keys.get(source);
    if (key === undefined) return undefined;
    const { signSubmission } = await import('../client/signing');
    return await signSubmission(key, incident);
  };
}
