import { slackText } from './slack';
import type { Notification, Sink } from './types';

/** The webhook answered, but not with 2xx. */
export class WebhookStatusError extends Error {
  override readonly name = 'WebhookStatusError';
  constructor(readonly status: number) {
    super(`webhook answered HTTP ${status}`);
  }
}

/**
 * POSTs `{ text, notification }`: `text` is what Slack-compatible receivers
 * display; the structured notification sits under its own key because its own
 * `text` would otherwise collide with Slack's.
 */
export class WebhookSink implements Sink {
  readonly name: string;

  constructor(private readonly url: string) {
    // The path of a Slack webhook is its secret: name the sink by origin only.
    this.name = `webhook:${new URL(url).origin}`;
  }

  async send(notification: Notification, signal: AbortSignal): Promise<void> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: slackText(notification), notification }),
      redirect: 'manual',
      signal,
    });
    // Only the status matters; release the connection.
    await response.body?.cancel();
    if (response.status < 200 || response.status >= 300) throw new WebhookStatusError(response.status);
  }
}
