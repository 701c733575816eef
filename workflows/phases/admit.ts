/**
 * Admission: the incident within its limits, the catalogue and policy this run decides with, and the
 * rendering, checking and guardrail protocol its history knows. The `patched()` calls stay in the
 * order their markers were recorded.
 */
import { patched, upsertSearchAttributes } from '@temporalio/workflow';
import { incidentLimitProblems } from '../../dsl/incident-limits';
import type { CompiledCatalogue, Decision } from '../../dsl/types';
import type { ChannelSettings } from '../guardrail-channel';
import { activityAccess, coordinatorAccess, localAccess, type GuardrailAccess } from '../guardrail-access';
import { rendererFor } from '../renderer';
import { SERVICE } from '../../contracts/search-attributes';
import { describeSubmitter, NO_TRUST } from '../submitter';
import type { OperatorPolicy, RemediationInput } from '../../contracts/types';
import { loadWorkerContext } from '../worker-context';
import { notifier } from './notify';
import { finish, proceed, type PhaseResult, type Run, type RunStart } from './phase';

interface Context {
  catalogue: CompiledCatalogue;
  policy: OperatorPolicy;
  submittedBy: string | undefined;
  channelSettings?: ChannelSettings;
}

export async function admit(start: RunStart, input: RemediationInput): Promise<PhaseResult<Run>> {
  const { incident, audit } = start;
  // Intake checks the limits; a run started some other way checks them again and ends blocked, never crashing on its input.
  const refused = patched('incident-limits') ? incidentLimitProblems(input.incident) : [];
  if (refused.length > 0) {
    const reason = `the incident exceeds the input limits: ${refused.map((p) => `${p.field || '(incident)'}: ${p.message}`).join('; ')}`;
    const decision: Decision = { decision: 'blocked', event: 'INPUT_REFUSED', runbook: '', reason };
    start.progress.decided(decision);
    audit.record('INPUT_REFUSED', reason);
    return finish('blocked', decision);
  }
  const context = start.ownPolicy ? await workersContext(start, input) : recordedContext(input);
  start.progress.submitted(context.submittedBy);
  upsertSearchAttributes([{ key: SERVICE, value: incident.service }]);
  // Checks and notifications as local activities from here on; runs recorded before replay without.
  const localChecks = patched('local-checks');
  // Placeholders may not turn into options, hosts or dot-segments; runs recorded before render as they did.
  const renderer = rendererFor(patched('placeholder-rules'));
  const batched = patched('batched-guardrails');
  const { catalogue, policy, submittedBy } = context;
  const notify = notifier({
    incident,
    workflowId: start.workflowId,
    policy,
    audit,
    localChecks,
    runbookId: () => start.progress.runbookId(),
  });
  return proceed({
    ...start,
    catalogue,
    policy,
    submittedBy,
    renderer,
    localChecks,
    batched,
    access: guardrailAccess(start, context, batched),
    notify,
  });
}

/** The worker's catalogue and policy, recorded by a local activity; the submitter as its signature says. */
async function workersContext({ incident, audit, gate }: RunStart, input: RemediationInput): Promise<Context> {
  const { catalogue, policy, guardrails } = await loadWorkerContext();
  const trust = policy.trust ?? NO_TRUST;
  gate.trustWith(trust);
  const submitter = describeSubmitter(input.submission, incident, trust);
  audit.record(
    'SUBMITTED',
    `${submitter.summary}; catalogue ${catalogue.version.slice(0, 12)}, policy ${(policy.version ?? 'built-in').slice(0, 12)}`,
    {
      ...(submitter.principal ? { actor: submitter.principal } : {}),
      data: { submittedBy: submitter.principal ?? null, catalogueVersion: catalogue.version, policyVersion: policy.version ?? null },
    },
  );
  return { catalogue, policy, submittedBy: submitter.principal, channelSettings: guardrails };
}

/** Runs recorded before `operator-policy` carried their catalogue and policy in their input, and their submitter in the incident. */
function recordedContext({ catalogue, policy, incident }: RemediationInput): Context {
  if (!catalogue || !policy) throw new Error('a run from before operator-policy needs the catalogue and policy in its input');
  return { catalogue, policy, submittedBy: incident.submitted_by };
}

/** Guardrails as this run's history knows them: see guardrail-access.ts. New runs use the coordinator's signals. */
function guardrailAccess(
  { incident, audit }: RunStart,
  { catalogue, policy, channelSettings }: Context,
  batched: boolean,
): GuardrailAccess {
  if (batched) return coordinatorAccess(incident, catalogue, (reason) => audit.record('WAITING_FOR_SLOT', reason), channelSettings);
  return patched('durable-guardrails') ? activityAccess(incident, catalogue, policy) : localAccess(incident, catalogue, policy);
}
