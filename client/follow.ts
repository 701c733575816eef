/**
 * Following a remediation as it happens: the status query is polled and every new audit event is
 * reported once, in order, until the workflow returns its result (whose trail completes the story).
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { remediateIncident } from '../workflows/remediation';
import type { AuditEvent, RemediationResult, RemediationStatus } from '../contracts/types';
import { queryStatus } from './status';

export interface FollowOptions {
  onEvent(event: AuditEvent): void;
  onStatus?(status: RemediationStatus): void;
  /** Called once when a status query goes unanswered: no worker is polling the task queue. */
  onNoAnswer?(): void;
  intervalMs?: number;
  /** Stops following; the promise then resolves to undefined. */
  signal?: AbortSignal;
}

export async function followRemediation(
  handle: WorkflowHandle<typeof remediateIncident>,
  options: FollowOptions,
): Promise<RemediationResult | undefined> {
  const stop = options.signal ?? new AbortController().signal;
  let seen = 0;
  const report = (events: AuditEvent[]) => {
    for (const event of events.slice(seen)) options.onEvent(event);
    seen = Math.max(seen, events.length);
  };
  let finished = false;
  let silenceReported = false;
  // Aborting cancels the long poll, so nothing is left waiting on the connection.
  const result = handle.client.connection.withAbortSignal(stop, () => handle.result());
  const settled = result.then(
    () => (finished = true),
    () => (finished = true),
  );
  while (!finished && !stop.aborted) {
    const status = await queryStatus(handle);
    if (status && !finished) {
      options.onStatus?.(status);
      report(status.events);
    } else if (!status && !finished && !silenceReported) {
      silenceReported = true;
      options.onNoAnswer?.();
    }
    await Promise.race([settled, delay(options.intervalMs ?? 500, stop)]);
  }
  if (stop.aborted) {
    await settled;
    return undefined;
  }
  const final = await result;
  report(final.events);
  return final;
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
