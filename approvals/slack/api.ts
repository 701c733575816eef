/**
 * The few Slack Web API methods the app calls (chat.postMessage, chat.update, views.open), with the
 * bot token as a bearer token, and answers to an interaction's response_url. Slack answers HTTP 200
 * with `ok: false` on failure: that is an error here. The token never appears in an error.
 */
import type { Secret } from '../../activities/prometheus-servers';
import type { Block, SlackMessage } from './message';

export class SlackApiError extends Error {
  override readonly name = 'SlackApiError';
}

export interface SlackApiSettings {
  /** Base URL, such as https://slack.com/api, without a trailing slash. */
  apiUrl: string;
  botToken: Secret;
}

export class SlackApi {
  constructor(private readonly settings: SlackApiSettings) {}

  async postMessage(channel: string, message: SlackMessage, signal?: AbortSignal): Promise<{ channel: string; ts: string }> {
    const answer = await this.call('chat.postMessage', { channel, ...message }, signal);
    const ts = answer.get('ts');
    const at = answer.get('channel');
    if (typeof ts !== 'string' || typeof at !== 'string') throw new SlackApiError('chat.postMessage: the answer has no channel and ts');
    return { channel: at, ts };
  }

  async update(channel: string, ts: string, message: SlackMessage, signal?: AbortSignal): Promise<void> {
    await this.call('chat.update', { channel, ts, ...message }, signal);
  }

  async openView(triggerId: string, view: Block, signal?: AbortSignal): Promise<void> {
    await this.call('views.open', { trigger_id: triggerId, view }, signal);
  }

  private async call(method: string, body: object, signal?: AbortSignal): Promise<Map<string, unknown>> {
    const response = await fetch(`${this.settings.apiUrl}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${this.settings.botToken.reveal()}` },
      body: JSON.stringify(body),
      redirect: 'error',
      signal: signal ?? AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new SlackApiError(`${method}: HTTP ${response.status}`);
    const answer: unknown = await response.json();
    const fields = new Map(typeof answer === 'object' && answer !== null ? Object.entries(answer) : []);
    if (fields.get('ok') !== true) throw new SlackApiError(`${method}: ${String(fields.get('error') ?? 'not ok')}`.slice(0, 200));
    return fields;
  }
}

/** Posts to an interaction's response_url (ephemeral by default: only the person who clicked sees it). */
export async function respond(
  responseUrl: string,
  body: { text: string; response_type?: 'ephemeral' | 'in_channel'; replace_original?: boolean; blocks?: Block[] },
): Promise<void> {
  const response = await fetch(responseUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ response_type: 'ephemeral', ...body }),
    redirect: 'error',
    signal: AbortSignal.timeout(10_000),
  });
  await response.body?.cancel();
  if (!response.ok) throw new SlackApiError(`response_url: HTTP ${response.status}`);
}
