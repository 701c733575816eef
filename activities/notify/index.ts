import { loadActivitiesConfig, DEFAULT_NOTIFY_TIMEOUT_MS, type ActivitiesConfig } from '../config';
import { describeError } from '../executors/util';
import { LogSink } from './log-sink';
import type { Notification, Sink, SinkResult } from './types';
import { WebhookSink } from './webhook-sink';

export type { Notification, NotificationKind, Severity, Sink, SinkResult } from './types';
export { sanitizeForSlack, slackText } from './slack';
export { LogSink } from './log-sink';
export { WebhookSink, WebhookStatusError } from './webhook-sink';
export { SlackAppSink } from './slack-app-sink';

/** The log sink first, then one webhook sink per configured URL, in order, then the Slack app's. */
function sinksFor(config: ActivitiesConfig): Sink[] {
  return [
    new LogSink(config.notifyLogPath),
    ...config.webhookUrls.map((url) => new WebhookSink(url)),
    ...(config.slack ? [config.slack] : []),
  ];
}

/**
 * Sends to every configured sink (see `dispatch`). Never throws. Bad
 * configuration is reported as a `config` entry and the notification still goes
 * to stdout, rather than being lost.
 */
export async function notify(notification: Notification, config?: ActivitiesConfig): Promise<SinkResult[]> {
  let sinks: Sink[];
  let timeoutMs: number;
  try {
    const resolved = config ?? loadActivitiesConfig();
    sinks = sinksFor(resolved);
    timeoutMs = resolved.notifyTimeoutMs;
  } catch (err) {
    const fallback = await dispatch(notification, [new LogSink(null)], DEFAULT_NOTIFY_TIMEOUT_MS);
    return [{ sink: 'config', ok: false, error: describeError(err) }, ...fallback];
  }
  return dispatch(notification, sinks, timeoutMs);
}

/**
 * Sends to all sinks in parallel, each bounded by `timeoutMs`; one result per
 * sink, in order. Never throws: a notification must not block or fail a
 * remediation, so failures are reported per sink.
 */
export function dispatch(notification: Notification, sinks: Sink[], timeoutMs: number): Promise<SinkResult[]> {
  return Promise.all(sinks.map((sink) => deliver(sink, notification, timeoutMs)));
}

async function deliver(sink: Sink, notification: Notification, timeoutMs: number): Promise<SinkResult> {
  const signal = AbortSignal.timeout(timeoutMs);
  // Stops waiting even for a sink that ignores the signal.
  const deadline = new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  try {
    // `then` turns a synchronous throw from a sink into a rejection.
    await Promise.race([Promise.resolve().then(() => sink.send(notification, signal)), deadline]);
    return { sink: sink.name, ok: true };
  } catch (err) {
    return { sink: sink.name, ok: false, error: signal.aborted ? `timed out after ${timeoutMs} ms` : describeError(err) };
  }
}
