/**
 * The first guardrail coordinator, which took one Update per acquire. Kept unchanged for runs that
 * started before the batched protocol (`patched('batched-coordinator')` in ./coordinator.ts) so
 * their histories replay; a run continues on this code until it continues as new. Deprecate it once
 * no coordinator run started before that patch remains open.
 */
import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { acquire, advance, emptyState, nextDeadline, release, resetBreaker, snapshotOf } from '../../dsl/guardrail-state';
import {
  acquireUpdate,
  freezeSignal,
  guardrailStateQuery,
  releaseSignal,
  resetBreakerSignal,
  unfreezeSignal,
  type GuardrailCoordinatorInput,
  type GuardrailLogEntry,
} from '../../contracts/guardrail-messages';

/** Events before handing over to a new run; the server's own suggestion also triggers it. */
const DEFAULT_HISTORY_LIMIT = 5_000;
const LOG_LIMIT = 200;

// eslint-disable-next-line max-lines-per-function -- frozen: runs started before `batched-coordinator` replay this exact code
export async function legacyCoordinator(input: GuardrailCoordinatorInput): Promise<void> {
  const { policy } = input;
  const state = input.state ?? emptyState();
  const log: GuardrailLogEntry[] = input.log ?? [];
  const historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  let changed = false;

  const note = (entry: Omit<GuardrailLogEntry, 'at'>) => {
    log.push({ at: new Date(Date.now()).toISOString(), ...entry });
    if (log.length > LOG_LIMIT) log.splice(0, log.length - LOG_LIMIT);
    changed = true;
  };

  setHandler(
    acquireUpdate,
    (request) => {
      advance(state, policy, Date.now(), 'no_action');
      const verdict = acquire(state, policy, request, Date.now());
      note({
        kind: verdict.granted ? 'granted' : 'denied',
        incidentId: request.incidentId,
        runbook: request.runbook.id,
        detail: verdict.granted
          ? `${request.incident.service}${verdict.lease.trial ? ' (half-open trial)' : ''}`
          : `${verdict.event}: ${verdict.reason}`,
      });
      return verdict;
    },
    {
      validator: (request) => {
        if (!request?.incidentId || !request.runbook?.id || !request.incident?.service)
          throw new Error('acquire needs incidentId, runbook and incident');
      },
    },
  );
  setHandler(releaseSignal, (request) => {
    const lease = release(state, request, Date.now());
    if (lease) note({ kind: 'released', incidentId: request.incidentId, runbook: lease.runbook, detail: request.result });
  });
  setHandler(resetBreakerSignal, ({ runbook, by }) => {
    if (resetBreaker(state, runbook)) note({ kind: 'breaker_reset', runbook, detail: `reset by ${by}` });
  });
  setHandler(freezeSignal, (freeze) => {
    state.freeze = { ...freeze, sinceMs: Date.now() };
    note({ kind: 'frozen', detail: `by ${freeze.by}: ${freeze.reason}` });
  });
  setHandler(unfreezeSignal, ({ by }) => {
    if (!state.freeze) return;
    delete state.freeze;
    note({ kind: 'unfrozen', detail: `by ${by}` });
  });
  setHandler(guardrailStateQuery, () => ({
    state,
    snapshot: snapshotOf(state, policy, Date.now()),
    policy,
    log,
    historyLength: workflowInfo().historyLength,
  }));

  for (;;) {
    const now = Date.now();
    for (const lease of advance(state, policy, now, 'no_action')) {
      note({
        kind: 'lease_expired',
        incidentId: lease.incidentId,
        runbook: lease.runbook,
        detail: `${lease.workflowId} never released its slot`,
      });
    }
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > historyLimit) {
      await condition(allHandlersFinished);
      return await continueAsNew<typeof legacyCoordinator>({ policy, state, log, historyLimit });
    }
    changed = false;
    const deadline = nextDeadline(state, policy, now);
    if (deadline === undefined) await condition(() => changed);
    else await condition(() => changed, Math.max(1, deadline - now));
  }
}
