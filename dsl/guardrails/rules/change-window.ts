/** Change windows: runbooks (by risk or id) may act automatically only inside a window; outside it they wait for it or ask a human. */
import { isWindowOpen, nextOpening, windowApplies } from '../../change-window';
import type { GuardrailRule } from '../types';

export const changeWindow: GuardrailRule = {
  name: 'change_window',
  check({ runbook, view, humanApproved }) {
    if (humanApproved) return undefined;
    for (const window of view.changeWindows ?? []) {
      if (!windowApplies(window, runbook) || isWindowOpen(window, view.nowMs)) continue;
      const opensAtMs = nextOpening(window, view.nowMs);
      const when = opensAtMs === undefined ? 'never within a week' : `at ${new Date(opensAtMs).toISOString()}`;
      return {
        event: 'OUTSIDE_CHANGE_WINDOW',
        reason: `${runbook.id} (${runbook.risk}) may only run in change window ${window.name} (${window.days.join(',')} ${window.start}-${window.end} ${window.timeZone}); it opens ${when}`,
        outside: window.outside,
        opensAtMs,
      };
    }
    return undefined;
  },
};
