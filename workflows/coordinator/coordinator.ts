/**
 * The guardrail coordinator: one long-lived workflow that owns the guardrail state shared by every
 * remediation (rate limits, cooldowns, blast radius, circuit breakers, freeze, failure budgets) and
 * is its single writer. Built for alert storms within Temporal's limits:
 * - requests arrive as signals and are drained in batches, one workflow task answering many
 *   (updates are capped at 10 in flight per workflow);
 * - each answer goes back to its requesting run as a signal, with a cap on answers in flight;
 * - within a batch, returned slots go first, then human-approved work, then new automatic work;
 * - one durable timer for the earliest deadline (cooldown end, breaker recovery, lease expiry);
 * - no query on the hot path: a verdict carries everything the remediation needs;
 * - it continues as new on the server's suggestion (or past a history limit), carrying its state
 *   and any requests not yet answered, once every answer in flight was delivered. While it hands
 *   over it keeps answering until at most MAX_CARRIED_REQUESTS wait, so the new run's input stays
 *   far below the server's payload limit however many requests a storm queued (`bounded-handover`).
 * It runs on its own task queue and worker, so a storm of remediations cannot starve it.
 */
import { allHandlersFinished, condition, continueAsNew, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  expire,
  handleRequest,
  parseGuardrailRequest,
  prioritise,
  revoke,
  serveWaiting,
  type GuardrailRequest,
  type Noted,
  type Outgoing,
} from '../../dsl/guardrail-protocol';
import { acquire, advance, emptyState, nextDeadline, release, resetBreaker, restoreState, snapshotOf } from '../../dsl/guardrail-state';
import {
  acquireUpdate,
  freezeSignal,
  guardrailRequestSignal,
  guardrailStateQuery,
  releaseSignal,
  resetBreakerSignal,
  revokeLeaseSignal,
  unfreezeSignal,
  type GuardrailCoordinatorInput,
  type GuardrailLogEntry,
} from '../../contracts/guardrail-messages';
import { Alarm } from './alarm';
import { legacyCoordinator } from './legacy';
import { Outbox } from './outbox';

/** Events before handing over to a new run, unless the server suggests it earlier. */
const DEFAULT_HISTORY_LIMIT = 10_000;
const LOG_LIMIT = 200;
/** Answers in flight at once; well under the server's pending-signal limit (2,000 by default). */
const MAX_ANSWERS_IN_FLIGHT = 500;
/**
 * Requests carried into the next run at most. A storm once queued thousands while the run waited
 * for its answers to drain, and the continue-as-new input exceeded the server's size limit: the
 * task failed on every retry and the coordinator was wedged. A request is well under 2 KB.
 */
const MAX_CARRIED_REQUESTS = 200;
/**
 * With nothing due, it still wakes hourly: a workflow without any timer is one the time-skipping
 * test server would skip straight to its run timeout whenever everything else is idle.
 */
const IDLE_WAKE_MS = 60 * 60_000;

export async function guardrailCoordinator(input: GuardrailCoordinatorInput): Promise<void> {
  // Carried state arrives as decoded JSON: its keyed records get null prototypes back (keys are
  // incident data). Pure, no command: recorded histories replay unchanged.
  const restored: GuardrailCoordinatorInput = { ...input, state: restoreState(input.state) };
  // Runs that started on the update protocol stay on it until they continue as new.
  if (!patched('batched-coordinator')) return await legacyCoordinator(restored);
  return await batchedCoordinator(restored);
}

async function batchedCoordinator(input: GuardrailCoordinatorInput): Promise<void> {
  const { policy } = input;
  const state = input.state ?? emptyState();
  const log: GuardrailLogEntry[] = input.log ?? [];
  const historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  const inbox: GuardrailRequest[] = [...(input.inbox ?? [])];
  const alarm = new Alarm();
  let operatorChanged = false;

  const note = (entry: Noted | Omit<GuardrailLogEntry, 'at'>) => {
    log.push({ at: new Date(Date.now()).toISOString(), ...entry });
    if (log.length > LOG_LIMIT) log.splice(0, log.length - LOG_LIMIT);
  };
  const outbox = new Outbox(MAX_ANSWERS_IN_FLIGHT, (undelivered: Outgoing) => {
    // A grant nobody can receive is void: its run is gone, so the slot goes back at once.
    const { reply } = undelivered;
    if (reply.kind !== 'verdict' || reply.verdict.kind !== 'granted') return;
    const lease = release(
      state,
      { incidentId: reply.verdict.lease.incidentId, leaseId: reply.verdict.lease.leaseId, result: 'no_action' },
      Date.now(),
    );
    if (lease)
      note({
        kind: 'released',
        incidentId: lease.incidentId,
        runbook: lease.runbook,
        detail: `grant undeliverable: ${lease.workflowId} is gone`,
      });
  });
  const apply = ({ out, noted }: { out: Outgoing[]; noted: Noted[] }) => {
    for (const entry of noted) note(entry);
    outbox.send(out);
  };

  setHandler(guardrailRequestSignal, (raw: unknown) => {
    const request = parseGuardrailRequest(raw);
    if ('invalid' in request) note({ kind: 'refused', detail: `malformed guardrail request: ${request.invalid}` });
    else inbox.push(request);
  });
  registerOperatorHandlers();
  registerFirstProtocolHandlers();
  setHandler(guardrailStateQuery, () => ({
    state,
    snapshot: snapshotOf(state, policy, Date.now()),
    policy,
    log,
    historyLength: workflowInfo().historyLength,
    pending: { requests: inbox.length, replies: outbox.pending() },
  }));

  const boundedHandover = patched('bounded-handover');
  const handoverDue = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > historyLimit;
  for (;;) {
    const now = Date.now();
    const handingOver = boundedHandover && handoverDue();
    apply(expire(state, policy, now));
    apply(serveWaiting(state, policy, now));
    // Handing over, only what exceeds the carry bound is answered, so the outbox can drain.
    const take = handingOver ? Math.min(Math.max(0, inbox.length - MAX_CARRIED_REQUESTS), outbox.room()) : Math.max(1, outbox.room());
    const batch = prioritise(inbox.splice(0, take));
    for (const request of batch) apply(handleRequest(state, policy, request, now));
    apply(serveWaiting(state, policy, now));

    if (handingOver && inbox.length <= MAX_CARRIED_REQUESTS && outbox.idle() && allHandlersFinished()) {
      return await continueAsNew<typeof guardrailCoordinator>({ policy, state, log, historyLimit, inbox });
    }
    if (!boundedHandover && handoverDue()) {
      // Runs recorded before `bounded-handover`: stop taking requests, wait for the answers, hand over.
      await condition(() => outbox.idle() && allHandlersFinished());
      return await continueAsNew<typeof guardrailCoordinator>({ policy, state, log, historyLimit, inbox });
    }
    alarm.set(nextDeadline(state, policy, now) ?? now + IDLE_WAKE_MS, now);
    await condition(() =>
      handingOver
        ? (inbox.length > MAX_CARRIED_REQUESTS && outbox.room() > 0) ||
          (outbox.idle() && allHandlersFinished()) ||
          alarm.fired ||
          operatorChanged
        : (inbox.length > 0 && outbox.room() > 0) || alarm.fired || operatorChanged,
    );
    alarm.take();
    operatorChanged = false;
  }

  function registerOperatorHandlers() {
    setHandler(resetBreakerSignal, ({ runbook, by }) => {
      if (typeof runbook !== 'string' || typeof by !== 'string') return note({ kind: 'refused', detail: 'malformed resetBreaker signal' });
      if (resetBreaker(state, runbook)) note({ kind: 'breaker_reset', runbook, detail: `reset by ${by}` });
      operatorChanged = true;
    });
    setHandler(freezeSignal, (freeze) => {
      if (typeof freeze?.by !== 'string' || typeof freeze.reason !== 'string')
        return note({ kind: 'refused', detail: 'malformed freeze signal' });
      const untilMs = typeof freeze.untilMs === 'number' && Number.isFinite(freeze.untilMs) ? freeze.untilMs : undefined;
      state.freeze = { by: freeze.by, reason: freeze.reason, untilMs, sinceMs: Date.now() };
      note({ kind: 'frozen', detail: `by ${freeze.by}: ${freeze.reason}` });
      operatorChanged = true;
    });
    setHandler(revokeLeaseSignal, (request) => {
      if (typeof request?.incidentId !== 'string' || typeof request.by !== 'string' || typeof request.reason !== 'string') {
        return note({ kind: 'refused', detail: 'malformed revokeLease signal' });
      }
      apply(revoke(state, request.incidentId, request.by, request.reason, Date.now()));
      operatorChanged = true;
    });
    setHandler(unfreezeSignal, ({ by }) => {
      if (!state.freeze) return;
      delete state.freeze;
      note({ kind: 'unfrozen', detail: `by ${String(by)}` });
      operatorChanged = true;
    });
  }

  /** Remediations that started on the update protocol still acquire and release through it. */
  function registerFirstProtocolHandlers() {
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
        operatorChanged = true;
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
      operatorChanged = true;
    });
  }
}
