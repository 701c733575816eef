/**
 * What a verdict sent from Slack came to, in words for the person who clicked; and the record of a
 * refused Slack user on the remediation itself: a gateway statement naming a principal the gateway
 * cannot vouch for, which the workflow refuses and writes into its audit without counting it.
 */
import { NotAwaitingApprovalError, RemediationClosedError } from '../../client/approvals';
import type { DecisionAnswer } from '../../contracts/types';
import { castAsGateway } from '../gateway';
import type { Interaction } from './payload';
import type { SlackRouteDeps } from './route';

export interface DecisionOutcome {
  counted: boolean;
  text: string;
}

export async function decisionText(cast: () => Promise<DecisionAnswer>): Promise<DecisionOutcome> {
  try {
    const answer = await cast();
    if (!answer.counted) return { counted: false, text: `Not counted: ${answer.message}` };
    return { counted: true, text: `Counted: ${answer.message} (${answer.approvals}/${answer.needed})` };
  } catch (error) {
    if (error instanceof RemediationClosedError || error instanceof NotAwaitingApprovalError)
      return { counted: false, text: `Not counted: ${error.message}` };
    throw error;
  }
}

/** The name a refused Slack user is recorded under; it is never one the gateway vouches for (checked before sending). */
export const unmappedPrincipal = (userId: string) => `slack-unmapped.${userId}`;

export function refusalRecorder(deps: Pick<SlackRouteDeps, 'client' | 'slack' | 'vouchesFor' | 'log'>) {
  return async (interaction: Interaction, why: string): Promise<void> => {
    if (interaction.type === 'invalid' || interaction.userId === undefined) return;
    const name = unmappedPrincipal(interaction.userId);
    if (deps.vouchesFor.includes(name)) return;
    const verdict = interaction.type === 'button' ? interaction.action : 'reject';
    const outcome = await decisionText(() =>
      castAsGateway(deps.client, deps.slack.gateway, {
        incidentId: interaction.target.incidentId,
        user: name,
        verdict,
        planHash: interaction.target.planHash,
        reason: why,
      }),
    ).catch((error: unknown) => ({ counted: false, text: `not recorded: ${error instanceof Error ? error.message : String(error)}` }));
    deps.log(`slack: ${why}; on ${interaction.target.incidentId}: ${outcome.text}`);
  };
}
