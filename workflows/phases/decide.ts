/**
 * Deciding and planning: which runbook, if any, and whether it needs a human (against the shared
 * guardrail state); then the plan, which the incident must be able to fill before anything runs.
 */
import { upsertSearchAttributes } from '@temporalio/workflow';
import { leaseDuration } from '../../dsl/guardrail-state';
import type { CompiledRunbook, Decision } from '../../dsl/types';
import { checkPlan, planFor, type Plan } from '../plan';
import { DECISION, RUNBOOK } from '../../contracts/search-attributes';
import { NOTICES } from './notices';
import { finish, proceed, type PhaseResult, type Run } from './phase';

/** A decision to act, and the runbook it names. */
export interface Chosen {
  decision: Extract<Decision, { decision: 'auto' | 'approval_required' }>;
  runbook: CompiledRunbook;
}

export interface Planned extends Chosen {
  plan: Plan;
}

export async function decide(run: Run): Promise<PhaseResult<Chosen>> {
  const { incident, catalogue, renderer, audit } = run;
  const decision = await run.access.decide(
    (candidate) => checkPlan(candidate, incident, renderer).length === 0,
    (candidate) => leaseDuration(candidate),
  );
  const runbook = decision.runbook ? catalogue.runbooks.find((r) => r.id === decision.runbook) : undefined;
  run.progress.decided(decision, runbook);
  audit.record(decision.event, decision.reason, {
    data: runbook ? { runbook: runbook.id, version: runbook.version, risk: runbook.risk, mode: runbook.mode } : undefined,
  });
  upsertSearchAttributes([{ key: DECISION, value: decision.decision }, ...(runbook ? [{ key: RUNBOOK, value: runbook.id }] : [])]);
  if (decision.decision === 'manual' || decision.decision === 'blocked' || !runbook) {
    await run.notify(NOTICES.notActing(incident.id, decision));
    return finish(decision.decision === 'blocked' ? 'blocked' : 'manual', decision);
  }
  return proceed({ decision, runbook });
}

/** The incident must supply every value the plan needs, of the declared type. */
export async function plan(run: Run, chosen: Chosen): Promise<PhaseResult<Planned>> {
  const { incident, renderer } = run;
  const problems = checkPlan(chosen.runbook, incident, renderer);
  if (problems.length > 0) {
    run.audit.record('CONTEXT_INVALID', problems.join('; '));
    await run.notify(NOTICES.contextInvalid(incident.id, chosen.runbook, problems));
    return finish('aborted', chosen.decision);
  }
  const planned = planFor(chosen.runbook, incident, renderer);
  run.progress.planned(planned);
  return proceed({ ...chosen, plan: planned });
}
