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
import { allHandlersFinished, condition, continueAsNew, patched, workflowInfo } from '@temporalio/workflow';
import { expire, handleRequest, prioritise, serveWaiting } from '../../dsl/guardrail-protocol';
import { nextDeadline, restoreState } from '../../dsl/guardrail-state';
import type { GuardrailCoordinatorInput } from '../../contracts/guardrail-messages';
import { registerHandlers } from './handlers';
import { legacyCoordinator } from './legacy';
import { startRun, type CoordinatorRun } from './run';

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

/** Serves turn after turn until it is time to hand over to a new run. */
async function batchedCoordinator(input: GuardrailCoordinatorInput): Promise<void> {
  const run = startRun(input);
  registerHandlers(run);
  const boundedHandover = patched('bounded-handover');
  for (;;) {
    const now = Date.now();
    const handingOver = boundedHandover && handoverDue(run);
    serveTurn(run, now, handingOver);
    if (handingOver && run.inbox.length <= MAX_CARRIED_REQUESTS && run.outbox.idle() && allHandlersFinished()) return await handOver(run);
    if (!boundedHandover && handoverDue(run)) {
      // Runs recorded before `bounded-handover`: stop taking requests, wait for the answers, hand over.
      await condition(() => run.outbox.idle() && allHandlersFinished());
      return await handOver(run);
    }
    await waitForWork(run, now, handingOver);
  }
}

function handoverDue(run: CoordinatorRun): boolean {
  return workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > run.historyLimit;
}

/** Expires leases, then answers a batch of requests: returned slots first, then approved work, then new. */
function serveTurn(run: CoordinatorRun, now: number, handingOver: boolean): void {
  const { state, policy, inbox, outbox } = run;
  run.apply(expire(state, policy, now));
  run.apply(serveWaiting(state, policy, now));
  // Handing over, only what exceeds the carry bound is answered, so the outbox can drain.
  const take = handingOver ? Math.min(Math.max(0, inbox.length - MAX_CARRIED_REQUESTS), outbox.room()) : Math.max(1, outbox.room());
  const batch = prioritise(inbox.splice(0, take));
  for (const request of batch) run.apply(handleRequest(state, policy, request, now));
  run.apply(serveWaiting(state, policy, now));
}

/** Carries the state, the log and the requests not yet answered into a new run. */
async function handOver(run: CoordinatorRun): Promise<never> {
  const { policy, state, log, historyLimit, inbox } = run;
  return await continueAsNew<typeof guardrailCoordinator>({ policy, state, log, historyLimit, inbox });
}

/** Arms the alarm for the earliest deadline and sleeps until there is something to serve. */
async function waitForWork(run: CoordinatorRun, now: number, handingOver: boolean): Promise<void> {
  const { inbox, outbox, alarm } = run;
  alarm.set(nextDeadline(run.state, run.policy, now) ?? now + IDLE_WAKE_MS, now);
  await condition(() =>
    handingOver
      ? (inbox.length > MAX_CARRIED_REQUESTS && outbox.room() > 0) ||
        (outbox.idle() && allHandlersFinished()) ||
        alarm.fired ||
        run.operatorChanged
      : (inbox.length > 0 && outbox.room() > 0) || alarm.fired || run.operatorChanged,
  );
  alarm.take();
  run.operatorChanged = false;
}
