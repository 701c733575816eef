/**
 * The coordinator's message handlers: the batched request signal, the operator signals, the state
 * query, and the first (update) protocol that remediations started before the batched one still use.
 * Handlers only record; the serving loop in ./coordinator.ts answers.
 */
import { setHandler, workflowInfo } from '@temporalio/workflow';
import { parseGuardrailRequest, revoke } from '../../dsl/guardrail-protocol';
import { acquire, advance, release, resetBreaker, snapshotOf } from '../../dsl/guardrail-state';
import {
  acquireUpdate,
  freezeSignal,
  guardrailRequestSignal,
  guardrailStateQuery,
  releaseSignal,
  resetBreakerSignal,
  revokeLeaseSignal,
  unfreezeSignal,
} from '../../contracts/guardrail-messages';
import type { CoordinatorRun } from './run';

export function registerHandlers(run: CoordinatorRun): void {
  const { state, policy, inbox, note } = run;
  setHandler(guardrailRequestSignal, (raw: unknown) => {
    const request = parseGuardrailRequest(raw);
    if ('invalid' in request) note({ kind: 'refused', detail: `malformed guardrail request: ${request.invalid}` });
    else inbox.push(request);
  });
  registerOperatorHandlers(run);
  registerFirstProtocolHandlers(run);
  setHandler(guardrailStateQuery, () => ({
    state,
    snapshot: snapshotOf(state, policy, Date.now()),
    policy,
    log: run.log,
    historyLength: workflowInfo().historyLength,
    pending: { requests: inbox.length, replies: run.outbox.pending() },
  }));
}

function registerOperatorHandlers(run: CoordinatorRun): void {
  const { state, note } = run;
  setHandler(resetBreakerSignal, ({ runbook, by }) => {
    if (typeof runbook !== 'string' || typeof by !== 'string') return note({ kind: 'refused', detail: 'malformed resetBreaker signal' });
    if (resetBreaker(state, runbook)) note({ kind: 'breaker_reset', runbook, detail: `reset by ${by}` });
    run.operatorChanged = true;
  });
  setHandler(freezeSignal, (freeze) => {
    if (typeof freeze?.by !== 'string' || typeof freeze.reason !== 'string')
      return note({ kind: 'refused', detail: 'malformed freeze signal' });
    const untilMs = typeof freeze.untilMs === 'number' && Number.isFinite(freeze.untilMs) ? freeze.untilMs : undefined;
    state.freeze = { by: freeze.by, reason: freeze.reason, untilMs, sinceMs: Date.now() };
    note({ kind: 'frozen', detail: `by ${freeze.by}: ${freeze.reason}` });
    run.operatorChanged = true;
  });
  setHandler(revokeLeaseSignal, (request) => {
    if (typeof request?.incidentId !== 'string' || typeof request.by !== 'string' || typeof request.reason !== 'string') {
      return note({ kind: 'refused', detail: 'malformed revokeLease signal' });
    }
    run.apply(revoke(state, request.incidentId, request.by, request.reason, Date.now()));
    run.operatorChanged = true;
  });
  setHandler(unfreezeSignal, ({ by }) => {
    if (!state.freeze) return;
    delete state.freeze;
    note({ kind: 'unfrozen', detail: `by ${String(by)}` });
    run.operatorChanged = true;
  });
}

/** Remediations that started on the update protocol still acquire and release through it. */
function registerFirstProtocolHandlers(run: CoordinatorRun): void {
  const { state, policy, note } = run;
  setHandler(
    acquireUpdate,
    (request) => {
      advance(state, policy, Date.now());
      const verdict = acquire(state, policy, request, Date.now());
      note({
        kind: verdict.granted ? 'granted' : 'denied',
        incidentId: request.incidentId,
        runbook: request.runbook.id,
        detail: verdict.granted ? request.incident.service : `${verdict.event}: ${verdict.reason}`,
      });
      run.operatorChanged = true;
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
    run.operatorChanged = true;
  });
}
