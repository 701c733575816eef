/**
 * The Slack app's sink: an approval request becomes a Block Kit message with Approve and Reject
 * buttons in the policy's channel (chat.postMessage); the verdict (approved, rejected, expired,
 * withdrawn) replaces it (chat.update). The message of each incident is remembered in this process;
 * a verdict whose request this process did not post goes to the channel as a message of its own.
 */
import { approvalRequest, verdictMessage } from '../../approvals/slack/message';
import { SlackApi } from '../../approvals/slack/api';
import type { SlackPolicy } from '../../worker/slack-policy';
import type { Notification, Sink } from './types';

const VERDICTS = new Set(['approved', 'rejected', 'expired', 'resolved']);
/** Bounds the memory of posted requests; the oldest is forgotten first. */
const MAX_REMEMBERED = 10_000;

export class SlackAppSink implements Sink {
  readonly name = 'slack';
  private readonly api: SlackApi;
  private readonly posted = new Map<string, { channel: string; ts: string }>();

  constructor(
    private readonly policy: Pick<SlackPolicy, 'apiUrl' | 'botToken' | 'channel'>,
    /** The runbook's risk, from the worker's catalogue. */
    private readonly riskOf: (runbookId: string) => string | undefined = () => undefined,
  ) {
    this.api = new SlackApi({ apiUrl: policy.apiUrl, botToken: policy.botToken });
  }

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    if (notification.kind === 'approval_needed') return await this.request(notification, signal);
    if (!VERDICTS.has(notification.kind)) return;
    const message = verdictMessage(notification);
    const earlier = this.posted.get(notification.incidentId);
    if (earlier) {
      await this.api.update(earlier.channel, earlier.ts, message, signal);
      this.posted.delete(notification.incidentId);
    } else await this.api.postMessage(this.policy.channel, message, signal);
  }

  private async request(notification: Notification, signal: AbortSignal): Promise<void> {
    const risk = notification.runbookId === null ? undefined : this.riskOf(notification.runbookId);
    const message = approvalRequest(notification, risk);
    if (!message) throw new Error('the approval request names no valid plan hash; no buttons were posted');
    const at = await this.api.postMessage(this.policy.channel, message, signal);
    if (this.posted.size >= MAX_REMEMBERED) this.posted.delete(this.posted.keys().next().value ?? '');
    this.posted.set(notification.incidentId, at);
  }
}
