/**
 * How a remediation reaches the shared guardrails, in the three shapes its recorded histories have:
 * - `local`: before guardrails were shared, an empty snapshot (histories v1-*);
 * - `activities`: a snapshot query and an acquire update through activities (`patched('durable-guardrails')`);
 * - `coordinator`: signals to and from the coordinator, no query on the hot path (`patched('batched-guardrails')`).
 * The first two stay unchanged so their histories replay; new runs take the third. Deprecate them
 * once no remediation started before `batched-guardrails` remains open.
 */
import { proxyActivities } from '@temporalio/workflow';
import { decide, decideRisk, emptySnapshot, matchAndConfidence } from '../dsl/decide';
import type { Lease, ReleaseResult } from '../dsl/guardrail-state';
import { DEFAULT_BREAKER } from '../dsl/guardrails/defaults';
import type { CompiledCatalogue, CompiledRunbook, Decision, Incident } from '../dsl/types';
import type { GuardrailActivities } from '../activities/guardrails';
import { GuardrailChannel, type ChannelSettings } from './guardrail-channel';
import { workerContext } from './worker-context';
import type { OperatorPolicy } from '../contracts/types';

/** What taking a slot came to; `granted` carries nothing the workflow needs beyond the fact. */
export type SlotVerdict =
  | { kind: 'granted' }
  | { kind: 'outside_window'; reason: string; outside: 'wait' | 'approval'; opensAtMs?: number }
  | { kind: 'blocked'; decision: Extract<Decision, { decision: 'blocked' }> };

export interface SlotRequest {
  incident: Incident;
  runbook: CompiledRunbook;
  workflowId: string;
  humanApproved: boolean;
  leaseMs: number;
}

export interface GuardrailAccess {
  /**
   * The first decision, in the seed's order. An automatic run whose plan is complete (`planOk`) may
   * take its slot in the same step, for as long as `leaseMs` says.
   */
  decide(planOk: (runbook: CompiledRunbook) => boolean, leaseMs: (runbook: CompiledRunbook) => number): Promise<Decision>;
  /** After a human approved: the decision again (the caller stops unless it still names the runbook), or undefined where taking the slot re-checks. */
  recheckAfterApproval(): Promise<Decision | undefined>;
  takeSlot(request: SlotRequest): Promise<SlotVerdict>;
  /** Undefined once released or when nothing was held. */
  holding(): boolean;
  /** Why the slot was lost while acting, if it was. */
  lostReason(): string | undefined;
  release(result: ReleaseResult): Promise<void>;
}

// Guardrail calls of the activity shape retry until the coordinator answers, within a bound after
// which the remediation fails loudly rather than acting unguarded.
const guardrailActivities = proxyActivities<GuardrailActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '500ms', maximumInterval: '5s' },
});

export function localAccess(incident: Incident, catalogue: CompiledCatalogue, policy: OperatorPolicy): GuardrailAccess {
  return {
    decide: async () => decide(incident, catalogue, emptySnapshot(Date.now(), policy.limits)),
    recheckAfterApproval: async () => decide(incident, catalogue, emptySnapshot(Date.now(), policy.limits)),
    takeSlot: async () => ({ kind: 'granted' }),
    holding: () => false,
    lostReason: () => undefined,
    release: async () => undefined,
  };
}

export function activityAccess(incident: Incident, catalogue: CompiledCatalogue, policy: OperatorPolicy): GuardrailAccess {
  let lease: Lease | undefined;
  const snapshot = async () => {
    const shared = await guardrailActivities.guardrailSnapshot();
    return shared ? { ...shared, nowMs: Date.now() } : emptySnapshot(Date.now(), policy.limits);
  };
  return {
    decide: async () => decide(incident, catalogue, await snapshot()),
    // Approved by now: a freeze or change window in the shared view holds automation, not this run.
    recheckAfterApproval: async () => decide(incident, catalogue, await snapshot(), { humanApproved: true }),
    takeSlot: async (request) => {
      const verdict = await guardrailActivities.acquireGuardrails({
        incidentId: request.incident.id,
        workflowId: request.workflowId,
        incident: { id: request.incident.id, service: request.incident.service, services: request.incident.services },
        runbook: { id: request.runbook.id, risk: request.runbook.risk, guardrails: request.runbook.guardrails },
        humanApproved: request.humanApproved,
        leaseMs: request.leaseMs,
      });
      if (verdict.granted) {
        lease = verdict.lease;
        return { kind: 'granted' };
      }
      if (verdict.event === 'OUTSIDE_CHANGE_WINDOW') {
        return {
          kind: 'outside_window',
          reason: verdict.reason,
          outside: 'outside' in verdict ? verdict.outside : 'wait',
          opensAtMs: 'opensAtMs' in verdict ? verdict.opensAtMs : undefined,
        };
      }
      return {
        kind: 'blocked',
        decision: { decision: 'blocked', event: verdict.event, runbook: request.runbook.id, reason: verdict.reason },
      };
    },
    holding: () => lease !== undefined,
    lostReason: () => undefined,
    release: async (result) => {
      const held = lease;
      if (!held) return;
      lease = undefined;
      const runbook = catalogue.runbooks.find((r) => r.id === held.runbook);
      await guardrailActivities.releaseGuardrails({
        incidentId: incident.id,
        result,
        breaker: runbook?.guardrails.circuitBreaker ?? DEFAULT_BREAKER,
      });
    },
  };
}

/**
 * The batched protocol. The first decision needs the coordinator only once a runbook matched with
 * enough confidence; an automatic run whose plan is complete asks for its slot in the same request.
 * `onQueued`: an approved run waits in line for a slot, with the coordinator's reason.
 * `settings`: the worker's, when the run already read its context; else asked for on first use (runs before `operator-policy`).
 */
// eslint-disable-next-line max-lines-per-function -- a factory: its length is the short methods of the access object it returns, which share the run's channel.
export function coordinatorAccess(
  incident: Incident,
  catalogue: CompiledCatalogue,
  onQueued: (reason: string) => void,
  settings?: ChannelSettings,
): GuardrailAccess {
  let channel: GuardrailChannel | undefined;
  const connect = async () => (channel ??= new GuardrailChannel(settings ?? (await workerContext()).guardrails));
  let preTaken = false;
  const checkFor = (runbook: CompiledRunbook, reserve: boolean, humanApproved: boolean, leaseMs: number) => ({
    incidentId: incident.id,
    incident: { id: incident.id, service: incident.service, services: incident.services },
    runbook: { id: runbook.id, risk: runbook.risk, guardrails: runbook.guardrails },
    humanApproved,
    reserve,
    leaseMs,
  });
  return {
    decide: async (planOk, leaseMs) => {
      const matched = matchAndConfidence(incident, catalogue);
      if (matched.kind === 'decided') return matched.decision;
      const runbook = matched.runbook;
      const reserve = planOk(runbook) && decideRisk(runbook, incident).decision === 'auto';
      const verdict = await (await connect()).check(checkFor(runbook, reserve, false, leaseMs(runbook)));
      switch (verdict.kind) {
        case 'unavailable':
          return {
            decision: 'blocked',
            event: 'GUARDRAILS_UNAVAILABLE',
            runbook: runbook.id,
            reason: `${verdict.reason}; not acting without guardrails`,
          };
        case 'blocked':
          return { decision: 'blocked', event: verdict.event, runbook: runbook.id, reason: verdict.reason };
        case 'granted':
          preTaken = true;
          return decideRisk(runbook, incident);
        case 'clear':
        case 'outside_window':
        case 'queued':
          // A change window is the slot's business, not the decision's: it is met again when the slot is taken.
          return decideRisk(runbook, incident);
      }
    },
    recheckAfterApproval: async () => undefined,
    takeSlot: async (request) => {
      if (preTaken && !request.humanApproved) return { kind: 'granted' };
      const verdict = await (await connect()).check(checkFor(request.runbook, true, request.humanApproved, request.leaseMs), onQueued);
      switch (verdict.kind) {
        case 'granted':
          return { kind: 'granted' };
        case 'queued':
          return {
            kind: 'blocked',
            decision: { decision: 'blocked', event: 'BLAST_LIMITED', runbook: request.runbook.id, reason: verdict.reason },
          };
        case 'outside_window':
          return verdict;
        case 'clear':
          return {
            kind: 'blocked',
            decision: {
              decision: 'blocked',
              event: 'GUARDRAILS_UNAVAILABLE',
              runbook: request.runbook.id,
              reason: 'the coordinator evaluated instead of granting a slot',
            },
          };
        case 'blocked':
          return {
            kind: 'blocked',
            decision: { decision: 'blocked', event: verdict.event, runbook: request.runbook.id, reason: verdict.reason },
          };
        case 'unavailable':
          return {
            kind: 'blocked',
            decision: {
              decision: 'blocked',
              event: 'GUARDRAILS_UNAVAILABLE',
              runbook: request.runbook.id,
              reason: `${verdict.reason}; not acting without guardrails`,
            },
          };
      }
    },
    holding: () => channel?.lease !== undefined,
    lostReason: () => channel?.lost,
    release: async (result) => {
      const failure = await channel?.release(result);
      if (failure) throw new Error(`the slot could not be returned: ${failure}`);
    },
  };
}
