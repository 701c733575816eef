/**
 * One durable workflow per incident, as a sequence of phases (workflows/phases/): admit, decide,
 * plan, approve, acquire a guardrail slot, execute, release it. Each phase continues with what the
 * next one needs or finishes the run with an outcome; notifications go out at every turn, and the
 * audit trail is what the status query, the result and the history all show.
 */
import { patched, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { ApprovalGate } from './approval-gate';
import { AuditTrail } from './audit';
import { alertResolvedSignal, approveSignal, decideUpdate, rejectSignal, statusQuery } from '../contracts/messages';
import { OUTCOME } from '../contracts/search-attributes';
import type { RemediationInput, RemediationResult } from '../contracts/types';
import { acquire, type Held } from './phases/acquire';
import { admit } from './phases/admit';
import { approve } from './phases/approve';
import { decide, plan } from './phases/decide';
import { execute } from './phases/execute';
import type { Ending, PhaseResult, Run, RunStart } from './phases/phase';
import { Progress } from './phases/progress';
import { release, type Executed } from './phases/release';

export async function remediateIncident(input: RemediationInput): Promise<RemediationResult> {
  const start = openRun(input);
  const admitted = await admit(start, input);
  if (admitted.kind === 'finish') return conclude(start, admitted.ending);
  const run = admitted.with;
  const held = await untilHeld(run);
  if (held.kind === 'finish') return conclude(run, held.ending);
  const executed = await attempt(() => execute(run, held.with));
  switch (executed.kind) {
    case 'ended': {
      // The outcome is recorded before the slot is released, as it always was.
      const result = conclude(run, executed.ending);
      await release(run, executed);
      return result;
    }
    case 'threw':
      await release(run, executed);
      throw executed.error;
  }
}

/** The run's trail, gate and progress, and the handlers that feed and read them, before anything else happens. */
function openRun(input: RemediationInput): RunStart {
  const { incident } = input;
  // The worker's catalogue and policy, and signed approvals only; runs recorded before read both from their input.
  const ownPolicy = patched('operator-policy');
  const audit = new AuditTrail();
  const gate = new ApprovalGate(audit, incident.id, ownPolicy);
  const progress = new Progress(incident.id, audit, gate, ownPolicy);
  setHandler(approveSignal, (signal) => gate.receiveApprove(signal));
  setHandler(rejectSignal, (signal) => gate.receiveReject(signal));
  setHandler(decideUpdate, (signed) => gate.receiveSigned(signed), { validator: (signed) => gate.validateSigned(signed) });
  setHandler(statusQuery, () => progress.status());
  // Runs before `alert-resolved` never received this signal; the patch marks the runs that did.
  setHandler(alertResolvedSignal, (signal) => {
    if (patched('alert-resolved')) gate.receiveAlertResolved(signal);
  });
  return { incident, workflowId: workflowInfo().workflowId, audit, gate, progress, ownPolicy };
}

/** Decide, plan, approve and acquire: the phases up to holding a guardrail slot. */
async function untilHeld(run: Run): Promise<PhaseResult<Held>> {
  const chosen = await decide(run);
  if (chosen.kind === 'finish') return chosen;
  const planned = await plan(run, chosen.with);
  if (planned.kind === 'finish') return planned;
  const cleared = await approve(run, planned.with);
  if (cleared.kind === 'finish') return cleared;
  return await acquire(run, cleared.with);
}

/** The plan's execution as a value, so that releasing the slot afterwards is one explicit step whichever way it went. */
async function attempt(executing: () => Promise<Ending>): Promise<Executed> {
  try {
    return { kind: 'ended', ending: await executing() };
  } catch (error) {
    return { kind: 'threw', error };
  }
}

function conclude({ progress }: RunStart, ending: Ending): RemediationResult {
  upsertSearchAttributes([{ key: OUTCOME, value: ending.outcome }]);
  return progress.ended(ending);
}
