/** Freeze: an operator stopped new automated execution; human-approved work still runs. */
import type { GuardrailRule } from '../types';

export const freeze: GuardrailRule = {
  name: 'freeze',
  check({ view, humanApproved }) {
    const frozen = view.freeze;
    // A freeze with an end has lifted by then (the coordinator also drops it when its timer fires).
    if (!frozen || humanApproved || (frozen.untilMs !== undefined && frozen.untilMs <= view.nowMs)) return undefined;
    const until = frozen.untilMs ? ` until ${new Date(frozen.untilMs).toISOString()}` : ' until lifted';
    return { event: 'FROZEN', reason: `Automation frozen by ${frozen.by}${until}: ${frozen.reason}` };
  },
};
