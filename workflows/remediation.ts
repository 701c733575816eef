/**
 * One durable workflow per incident: decide (the seed's order), ask humans when the policy says so,
 * run pre-checks, actions and verification as activities, roll back on failure, notify at every turn,
 * and keep an audit trail that the status query, the result and the history all show.
 */
import { CancellationScope, patched, proxyActivities, proxyLocalActivities, setHandler, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { leaseDuration, type ReleaseResult } from '../dsl/guardrail-state';
import type { CompiledCatalogue, CompiledRunbook, Decision, Outcome } from '../dsl/types';
import type { RemediationActivities } from '../activities/remediation';
import type { Notification } from '../activities/notify/types';
import { ApprovalGate } from './approval-gate';
import { authorisedApprovers } from './approval-rules';
import { AuditTrail } from './audit';
import { approveSignal, decideUpdate, rejectSignal, statusQuery } from './messages';
import { describeSubmitter, NO_TRUST } from './submitter';
import { incidentLimitProblems } from '../dsl/incident-limits';
import { loadWorkerContext } from './worker-context';
import type { ChannelSettings } from './guardrail-channel';
import { checkPlan, planFor, type Plan } from './plan';
import { rendererFor } from './renderer';
import { activityAccess, coordinatorAccess, localAccess, type GuardrailAccess } from './guardrail-access';
import { LeaseLostError, StepRunner } from './step-runner';
import { DECISION, OUTCOME, RUNBOOK, SERVICE } from './search-attributes';
import type { OperatorPolicy, Phase, RemediationInput, RemediationResult } from './types';

const NOTIFY_OPTIONS = { startToCloseTimeout: '30s', retry: { maximumAttempts: 3, initialInterval: '1s' } } as const;
const notifyAsActivity = proxyActivities<RemediationActivities>(NOTIFY_OPTIONS).notify;
// Notifications change nothing in the system under repair: local activities, like read-only checks.
const notifyLocally = proxyLocalActivities<RemediationActivities>(NOTIFY_OPTIONS).notify;

export async function remediateIncident(input: RemediationInput): Promise<RemediationResult> {
  const { incident } = input;
  // The worker's catalogue and policy, and signed approvals only; runs recorded before read both from their input.
  const ownPolicy = patched('operator-policy');
  const audit = new AuditTrail();
  const gate = new ApprovalGate(audit, incident.id, ownPolicy);
  let catalogue: CompiledCatalogue = input.catalogue!;
  let policy: OperatorPolicy = input.policy!;
  let submittedBy: string | undefined = ownPolicy ? undefined : incident.submitted_by;
  let phase: Phase = 'deciding';
  let decision: Decision | null = null;
  let runbook: CompiledRunbook | undefined;
  let plan: Plan | undefined;
  let outcome: Outcome | null = null;
  let runner: StepRunner | undefined;

  setHandler(approveSignal, (signal) => gate.receiveApprove(signal));
  setHandler(rejectSignal, (signal) => gate.receiveReject(signal));
  setHandler(decideUpdate, (signed) => gate.receiveSigned(signed), { validator: (signed) => gate.validateSigned(signed) });
  setHandler(statusQuery, () => ({
    incidentId: incident.id,
    phase,
    decision,
    runbook: runbook?.id ?? null,
    runbookVersion: runbook?.version ?? null,
    currentStep: runner?.currentStep ?? null,
    planHash: plan?.hash ?? null,
    approvals: gate.approvals,
    approvalsNeeded: runbook?.approval.quorum ?? 0,
    ...(ownPolicy ? { submittedBy: submittedBy ?? null } : {}),
    ...(phase === 'awaiting_approval' && plan ? { planSummary: plan.summary } : {}),
    outcome,
    events: audit.events,
  }));

  const say = async (n: Omit<Notification, 'incidentId' | 'runbookId' | 'fields'> & { fields?: Notification['fields'] }) => {
    const full: Notification = {
      incidentId: incident.id,
      runbookId: runbook?.id ?? null,
      fields: { service: incident.service, root_cause: incident.root_cause, confidence: incident.confidence, ...n.fields },
      webUrl: policy.webUiUrl ? `${policy.webUiUrl}/namespaces/${policy.namespace}/workflows/${workflowInfo().workflowId}` : undefined,
      ...n,
    };
    try {
      const results = await (localChecks ? notifyLocally : notifyAsActivity)(full);
      const failed = results.filter((r) => !r.ok);
      audit.record(failed.length === results.length && results.length > 0 ? 'NOTIFY_FAILED' : 'NOTIFIED', `${n.kind}: ${n.title}`, {
        data: {
          kind: n.kind,
          severity: n.severity,
          title: n.title,
          sinks: results.map((r) => `${r.sink}:${r.ok ? 'ok' : r.error}`),
          sinkResults: results.map((r) => ({ sink: r.sink, ok: r.ok, ...(r.ok ? {} : { error: r.error }) })),
        },
      });
    } catch (error) {
      // Notifications never block or fail a remediation.
      audit.record('NOTIFY_FAILED', `${n.kind}: ${(error as Error).message}`);
    }
  };

  const finish = async (result: Outcome): Promise<RemediationResult> => {
    outcome = result;
    phase = 'done';
    upsertSearchAttributes([{ key: OUTCOME, value: result }] as never);
    return {
      incidentId: incident.id,
      outcome: result,
      decision: decision!,
      runbook: runbook?.id ?? null,
      runbookVersion: runbook?.version ?? null,
      planHash: plan?.hash ?? null,
      rolledBack: result === 'rolled_back',
      approvals: gate.approvals,
      events: audit.events,
    };
  };

  // Intake checks the limits; a run started some other way checks them again and ends blocked, never crashing on its input.
  const refused = patched('incident-limits') ? incidentLimitProblems(input.incident) : [];
  if (refused.length > 0) {
    const reason = `the incident exceeds the input limits: ${refused.map((p) => `${p.field || '(incident)'}: ${p.message}`).join('; ')}`;
    decision = { decision: 'blocked', event: 'INPUT_REFUSED', runbook: '', reason };
    audit.record('INPUT_REFUSED', reason);
    return await finish('blocked');
  }
  let channelSettings: ChannelSettings | undefined;
  if (ownPolicy) {
    const context = await loadWorkerContext();
    catalogue = context.catalogue;
    policy = context.policy;
    channelSettings = context.guardrails;
    const trust = policy.trust ?? NO_TRUST;
    gate.trustWith(trust);
    const submitter = describeSubmitter(input.submission, incident, trust);
    submittedBy = submitter.principal;
    audit.record('SUBMITTED', `${submitter.summary}; catalogue ${catalogue.version.slice(0, 12)}, policy ${(policy.version ?? 'built-in').slice(0, 12)}`, {
      ...(submitter.principal ? { actor: submitter.principal } : {}),
      data: { submittedBy: submitter.principal ?? null, catalogueVersion: catalogue.version, policyVersion: policy.version ?? null },
    });
  }
  upsertSearchAttributes([{ key: SERVICE, value: incident.service }] as never);
  // Checks and notifications as local activities from here on; runs recorded before replay without.
  const localChecks = patched('local-checks');
  // Placeholders may not turn into options, hosts or dot-segments; runs recorded before render as they did.
  const renderer = rendererFor(patched('placeholder-rules'));

  // Guardrails as this run's history knows them: see guardrail-access.ts. New runs use the coordinator's signals.
  const batched = patched('batched-guardrails');
  const access: GuardrailAccess = batched
    ? coordinatorAccess(incident, catalogue, (reason) => audit.record('WAITING_FOR_SLOT', reason), channelSettings)
    : patched('durable-guardrails')
      ? activityAccess(incident, catalogue, policy)
      : localAccess(incident, catalogue, policy);

  // 1. Decide, in the seed's order, against the shared guardrail state.
  const first = await access.decide(
    (candidate) => checkPlan(candidate, incident, renderer).length === 0,
    (candidate) => leaseDuration(candidate),
  );
  decision = first;
  runbook = first.runbook ? catalogue.runbooks.find((r) => r.id === first.runbook) : undefined;
  audit.record(first.event, first.reason, {
    data: runbook ? { runbook: runbook.id, version: runbook.version, risk: runbook.risk, mode: runbook.mode } : undefined,
  });
  upsertSearchAttributes([{ key: DECISION, value: first.decision }, ...(runbook ? [{ key: RUNBOOK, value: runbook.id }] : [])] as never);

  if (first.decision === 'manual' || first.decision === 'blocked' || !runbook) {
    await say({
      kind: first.decision === 'blocked' ? 'blocked' : 'manual',
      severity: 'warning',
      title: `${incident.id}: ${first.decision === 'blocked' ? 'remediation blocked' : 'needs a human'} (${first.event})`,
      text: first.reason,
    });
    return await finish(first.decision === 'blocked' ? 'blocked' : 'manual');
  }
  const chosen: CompiledRunbook = runbook;
  const steps = new StepRunner(workflowInfo().workflowId, incident, chosen.context, audit, {
    leaseLost: () => access.lostReason(),
    prioritise: batched,
    localChecks,
    renderer,
  });
  runner = steps;

  const stop = async (blocked: Decision, prefix: string): Promise<RemediationResult> => {
    decision = blocked;
    audit.record(blocked.event, `${prefix}${blocked.reason}`);
    const kind = blocked.decision === 'blocked' ? 'blocked' : 'manual';
    await say({ kind, severity: 'warning', title: `${incident.id}: ${chosen.id} not run (${blocked.event})`, text: blocked.reason });
    return await finish(kind);
  };

  // 2. The incident must supply every value the plan needs, of the declared type, before anything runs.
  const problems = checkPlan(chosen, incident, renderer);
  if (problems.length > 0) {
    audit.record('CONTEXT_INVALID', problems.join('; '));
    await say({ kind: 'failure', severity: 'warning', title: `${incident.id}: cannot run ${chosen.id}`, text: problems.join('\n') });
    return await finish('aborted');
  }
  let currentPlan = planFor(chosen, incident, renderer);
  plan = currentPlan;

  // 3. Humans approve when the risk, the runbook's mode or a change window says so; the approval is bound to this plan.
  const allowed = authorisedApprovers(chosen.approval, policy.defaultApprovers, policy.approverGroups);
  const seekApproval = async (why: string): Promise<Outcome | 'approved'> => {
    for (;;) {
      phase = 'awaiting_approval';
      await say({
        kind: 'approval_needed',
        severity: 'warning',
        title: `${incident.id}: approval needed for ${chosen.id} (${chosen.risk} risk)`,
        text: `${why}. Plan ${currentPlan.hash.slice(0, 12)}:\n${currentPlan.summary.join('\n')}`,
        approveCommand: ownPolicy
          ? `remediate approve ${incident.id} --key YOUR_SSH_KEY --plan ${currentPlan.hash}`
          : // Runs from before signed approvals take the old signal, which the CLI no longer sends.
            `temporal workflow signal --workflow-id ${workflowInfo().workflowId} --name approve --input '{"by":"YOUR_NAME","planHash":"${currentPlan.hash}"}'`,
        fields: { approvals_needed: chosen.approval.quorum, plan_hash: currentPlan.hash },
      });
      const verdict = await gate.wait({
        planHash: currentPlan.hash,
        allowed,
        quorum: chosen.approval.quorum,
        submittedBy,
        timeoutMs: chosen.approval.timeoutMs,
        escalateAfterMs: chosen.approval.escalateAfterMs,
        onEscalate: async () => {
          audit.record('ESCALATED', `no decision yet; escalating to ${chosen.approval.escalationTarget ?? 'the runbook owner'}`);
          await say({
            kind: 'escalation',
            severity: 'critical',
            title: `${incident.id}: approval for ${chosen.id} still pending`,
            text: `Escalated to ${chosen.approval.escalationTarget ?? chosen.owner}; it expires to manual handling when the approval timeout runs out.`,
            fields: { escalation_target: chosen.approval.escalationTarget ?? chosen.owner },
          });
        },
      });
      if (verdict.kind === 'rejected') {
        await say({ kind: 'rejected', severity: 'info', title: `${incident.id}: ${chosen.id} rejected by ${verdict.by}`, text: verdict.reason });
        return 'rejected';
      }
      if (verdict.kind === 'expired') {
        audit.record('APPROVAL_EXPIRED', `nobody decided within ${Math.round(chosen.approval.timeoutMs / 60000)} min; handing to a human`);
        await say({ kind: 'expired', severity: 'warning', title: `${incident.id}: approval expired`, text: 'Handed to manual handling.' });
        return 'expired';
      }
      await say({
        kind: 'approved',
        severity: 'info',
        title: `${incident.id}: ${chosen.id} approved by ${verdict.approvals.map((a) => a.by).join(', ')}`,
        text: `Plan ${currentPlan.hash.slice(0, 12)} will run after guardrails and pre-checks are evaluated again.`,
      });
      const replanned = planFor(chosen, incident, renderer);
      if (replanned.hash === currentPlan.hash) return 'approved';
      audit.record('APPROVAL_VOID', `plan changed from ${currentPlan.hash.slice(0, 12)} to ${replanned.hash.slice(0, 12)}; asking again`);
      currentPlan = replanned;
      plan = replanned;
    }
  };

  let humanApproved = false;
  if (first.decision === 'approval_required') {
    const answer = await seekApproval(first.reason);
    if (answer !== 'approved') return await finish(answer);
    humanApproved = true;
    steps.humanApproved = true;
    // The world may have changed while humans decided: evaluate the guardrails again.
    const again = await access.recheckAfterApproval();
    if (again && (again.decision === 'blocked' || again.decision === 'manual' || again.runbook !== chosen.id)) return await stop(again, 'after approval: ');
  }

  // 4. Take a slot from the shared guardrails; the coordinator re-checks atomically before granting.
  for (;;) {
    const verdict = await access.takeSlot({
      incident,
      runbook: chosen,
      workflowId: workflowInfo().workflowId,
      humanApproved,
      leaseMs: leaseDuration(chosen),
    });
    if (verdict.kind === 'granted') break;
    if (verdict.kind === 'outside_window' && verdict.outside === 'wait' && verdict.opensAtMs !== undefined) {
      audit.record('OUTSIDE_CHANGE_WINDOW', `${verdict.reason}; waiting for it`);
      await sleep(Math.max(1, verdict.opensAtMs - Date.now()));
    } else if (verdict.kind === 'outside_window' && !humanApproved) {
      audit.record('OUTSIDE_CHANGE_WINDOW', `${verdict.reason}; asking a human instead`);
      const answer = await seekApproval(verdict.reason);
      if (answer !== 'approved') return await finish(answer);
      humanApproved = true;
      steps.humanApproved = true;
    } else if (verdict.kind === 'outside_window') {
      return await stop({ decision: 'blocked', event: 'BLAST_LIMITED', runbook: chosen.id, reason: verdict.reason }, '');
    } else {
      return await stop(verdict.decision, '');
    }
  }

  let result: Outcome | undefined;
  try {
    result = await execute();
    return await finish(result);
  } finally {
    if (access.holding()) {
      const released = releaseResult(result);
      // Runs even when the workflow is cancelled: the slot must be freed.
      await CancellationScope.nonCancellable(async () => {
        try {
          await access.release(released);
          audit.record('LEASE_RELEASED', `guardrail slot released (${released})`);
        } catch (error) {
          audit.record('GUARDRAILS_UNAVAILABLE', `${(error as Error).message}; the slot is freed when its lease expires, and counts as a failure then`);
        }
      });
    }
  }

  async function execute(): Promise<Outcome> {
    // 5. Pre-checks: read-only; any failure aborts before an action runs.
    audit.record('EXECUTING', `running ${chosen.id} (${chosen.version.slice(0, 12)})`, { data: { planHash: currentPlan.hash } });
    phase = 'pre_checks';
    for (const check of chosen.preChecks) {
      const result = await steps.check(check, 'pre');
      if (!result.passed) {
        audit.record('PRE_CHECK_FAILED', result.reason, { step: check.id });
        await say({ kind: 'failure', severity: 'warning', title: `${incident.id}: pre-check ${check.check} failed, nothing was changed`, text: result.reason });
        return 'aborted';
      }
    }

    // 6. Actions, then verification; any failure rolls back.
    phase = 'acting';
    try {
      return await act();
    } catch (error) {
      if (!(error instanceof LeaseLostError)) throw error;
      audit.record('LEASE_LOST', error.message, { step: error.step });
      audit.record('FAILED', `${chosen.id} stopped: it no longer holds its guardrail slot`);
      await say({
        kind: 'failure',
        severity: 'critical',
        title: `${incident.id}: ${chosen.id} stopped, its guardrail slot was lost: a human must check ${incident.service}`,
        text: `${error.message}. Steps that already ran were not rolled back; the system may be in a partial state.`,
      });
      return 'failed';
    }
  }

  async function act(): Promise<Outcome> {
    let failure = await steps.executeAll(chosen.actions);
    if (!failure) {
      phase = 'verifying';
      for (const check of chosen.postChecks) {
        const result = await steps.check(check, 'post');
        if (!result.passed) {
          audit.record('VERIFICATION_FAILED', result.reason, { step: check.id });
          failure = result.reason;
          break;
        }
      }
    }
    if (!failure) {
      audit.record('SUCCESS', `${chosen.id} remediated ${incident.service} and verification passed`);
      await say({ kind: 'success', severity: 'info', title: `${incident.id}: remediated by ${chosen.id}`, text: 'Actions ran and verification passed.' });
      return 'remediated';
    }

    // 7. Roll back once; a rollback that fails is escalated, never retried in a loop.
    if (chosen.rollback.kind !== 'steps') {
      const why = chosen.rollback.kind === 'self_healing' ? 'the runbook declares its action self-healing' : 'the runbook has no rollback';
      audit.record('FAILED', `${failure}; no rollback: ${why}`);
      await say({ kind: 'failure', severity: 'critical', title: `${incident.id}: ${chosen.id} failed`, text: `${failure}\nNo rollback: ${why}.` });
      return 'failed';
    }
    phase = 'rolling_back';
    const rollbackFailure = await steps.executeAll(chosen.rollback.steps, { rollback: true });
    if (rollbackFailure) {
      audit.record('ROLLBACK_FAILED', rollbackFailure);
      audit.record('FAILED', `${failure}; rollback failed too`);
      await say({
        kind: 'rollback_failed',
        severity: 'critical',
        title: `${incident.id}: ROLLBACK FAILED for ${chosen.id}: a human must act now`,
        text: `Remediation failed (${failure}) and its rollback failed (${rollbackFailure}). The system may be in a partial state.`,
      });
      return 'failed';
    }
    audit.record('ROLLED_BACK', `${failure}; rollback completed`);
    await say({ kind: 'rollback', severity: 'warning', title: `${incident.id}: ${chosen.id} rolled back`, text: failure });
    return 'rolled_back';
  }
}

/** What the guardrails learn from how a run ended: only a verified fix closes a breaker. */
function releaseResult(outcome: Outcome | undefined): ReleaseResult {
  return outcome === 'remediated' ? 'success' : outcome === 'rolled_back' || outcome === 'failed' ? 'failure' : 'no_action';
}
