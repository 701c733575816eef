/** Circuit breaker: stop a remediation that keeps failing; after its recovery time, one trial runs. */
import { ownValue } from '../../safe-record';
import { seconds, type GuardrailRule } from '../types';

export const circuitBreaker: GuardrailRule = {
  name: 'circuit_breaker',
  check({ runbook, view }) {
    const id = runbook.id;
    // Own keys only: a snapshot may be decoded JSON, and runbook ids are data.
    const breaker = ownValue(view.breakers, id);
    if (breaker?.state === 'open') {
      const recovery = runbook.guardrails.circuitBreaker.recoveryTimeoutMs;
      const elapsed = breaker.openedAtMs === undefined ? undefined : view.nowMs - breaker.openedAtMs;
      if (elapsed === undefined || elapsed < recovery) {
        const retry = elapsed === undefined ? '' : `; a trial run is allowed in ${seconds(recovery - elapsed)}s`;
        return {
          event: 'CIRCUIT_OPEN',
          reason: `Circuit open for ${id} after ${breaker.consecutiveFailures} consecutive failures${retry}`,
        };
      }
    }
    if (breaker?.state === 'half_open' && breaker.trialInFlight) {
      return { event: 'CIRCUIT_OPEN', reason: `Circuit half-open for ${id}: a trial run is already in progress` };
    }
    return undefined;
  },
};
