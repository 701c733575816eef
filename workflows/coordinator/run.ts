/**
 * One coordinator run's working set: the guardrail state it writes, its log, the requests waiting
 * to be served, and the two durable helpers (the alarm and the outbox). Its handlers and its
 * serving loop share it; nothing in here issues a command by being built.
 */
import type { GuardrailRequest, Noted, Outgoing } from '../../dsl/guardrail-protocol';
import { emptyState, release, type GuardrailPolicy, type GuardrailState } from '../../dsl/guardrail-state';
import type { GuardrailCoordinatorInput, GuardrailLogEntry } from '../../contracts/guardrail-messages';
import { Alarm } from './alarm';
import { Outbox } from './outbox';

/** Events before handing over to a new run, unless the server suggests it earlier. */
const DEFAULT_HISTORY_LIMIT = 10_000;
const LOG_LIMIT = 200;
/** Answers in flight at once; well under the server's pending-signal limit (2,000 by default). */
const MAX_ANSWERS_IN_FLIGHT = 500;

export type NoteEntry = Noted | Omit<GuardrailLogEntry, 'at'>;

export interface CoordinatorRun {
  readonly policy: GuardrailPolicy;
  readonly state: GuardrailState;
  readonly log: GuardrailLogEntry[];
  readonly historyLimit: number;
  readonly inbox: GuardrailRequest[];
  readonly alarm: Alarm;
  readonly outbox: Outbox;
  /** Set by an operator signal or a first-protocol call: the loop serves again without waiting. */
  operatorChanged: boolean;
  note(entry: NoteEntry): void;
  /** Logs what a protocol step noted and sends its answers. */
  apply(effects: { out: Outgoing[]; noted: Noted[] }): void;
}

export function startRun(input: GuardrailCoordinatorInput): CoordinatorRun {
  const state = input.state ?? emptyState();
  const log: GuardrailLogEntry[] = input.log ?? [];
  const note = (entry: NoteEntry) => {
    log.push({ at: new Date(Date.now()).toISOString(), ...entry });
    if (log.length > LOG_LIMIT) log.splice(0, log.length - LOG_LIMIT);
  };
  const outbox = new Outbox(MAX_ANSWERS_IN_FLIGHT, (undelivered: Outgoing) => voidUndeliverableGrant(state, note, undelivered));
  return {
    policy: input.policy,
    state,
    log,
    historyLimit: input.historyLimit ?? DEFAULT_HISTORY_LIMIT,
    inbox: [...(input.inbox ?? [])],
    alarm: new Alarm(),
    outbox,
    operatorChanged: false,
    note,
    apply: ({ out, noted }) => {
      for (const entry of noted) note(entry);
      outbox.send(out);
    },
  };
}

/** A grant nobody can receive is void: its run is gone, so the slot goes back at once. */
function voidUndeliverableGrant(state: GuardrailState, note: (entry: NoteEntry) => void, undelivered: Outgoing): void {
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
}
