/** Cooldown: no new run of a runbook for a service until `cooldown_minutes` after the last one. */
import { formatDuration } from '../../duration';
import { seconds, type GuardrailRule } from '../types';
import { runsOf } from './rate-limit';

export const cooldown: GuardrailRule = {
  name: 'cooldown',
  check(input) {
    const { runbook, incident, view } = input;
    const runs = runsOf(input);
    if (runs.length === 0) return undefined;
    const { cooldownMs } = runbook.guardrails;
    const cooldownEnd = Math.max(...runs) + cooldownMs;
    if (cooldownEnd <= view.nowMs) return undefined;
    return {
      event: 'RATE_LIMITED',
      reason: `Cooldown active for ${runbook.id} on ${incident.service}: ${seconds(cooldownEnd - view.nowMs)}s remaining (cooldown ${formatDuration(cooldownMs)})`,
    };
  },
};
