/**
 * Replaying recorded histories with the current workflow code: the check an operator runs before
 * rolling out a new worker. Any non-determinism (the new code would make other decisions than the
 * recorded ones) is reported per history, never thrown.
 */
import type { PayloadCodec } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { remediationWorkflowId } from '../contracts/messages';
import { REMEDIATION_WORKFLOW_TYPE } from './history';
import { decodeFirst } from './history-decode';
import { decodeHistory } from '../codec/decode-history';

export interface HistoryFile {
  /** As the user named it; identifies the history in results. */
  file: string;
  json: unknown;
}

export interface ReplayOutcome {
  file: string;
  ok: boolean;
  /** The error's type and message, e.g. `DeterminismViolationError: ...`. */
  error?: string;
}

/** A file that does not hold a history in `temporal workflow show --output json` format. */
export class HistoryFileError extends Error {
  override readonly name = 'HistoryFileError';
}

/**
 * The workflow id a history ran under, which an export does not hold: a remediation's follows from
 * its incident (one workflow per incident id). It matters, because a signed approval names its
 * workflow and the replayed run must check it against the same id.
 */
export function replayWorkflowId(history: ReturnType<typeof historyFromJSON>, fallback: string): string {
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  if (started?.workflowType?.name !== REMEDIATION_WORKFLOW_TYPE) return fallback;
  const input = decodeFirst(started.input);
  const incident = typeof input === 'object' && input !== null ? Reflect.get(input, 'incident') : undefined;
  const id = typeof incident === 'object' && incident !== null ? Reflect.get(incident, 'id') : undefined;
  return typeof id === 'string' ? remediationWorkflowId(id) : fallback;
}

/**
 * `codecs` decrypt encrypted histories (an export keeps the payloads as stored) before they are
 * replayed; a payload they cannot decrypt is a PayloadDecryptionError, before anything replays.
 */
export async function replayHistories(
  files: readonly HistoryFile[],
  workflowsPath: string,
  codecs: readonly PayloadCodec[] = [],
): Promise<ReplayOutcome[]> {
  const histories = [];
  for (const { file, json } of files) {
    let history;
    try {
      history = historyFromJSON(json);
    } catch (error) {
      throw new HistoryFileError(`${file}: not a workflow history (${(error as Error).message})`);
    }
    await decodeHistory(history, codecs);
    histories.push({ workflowId: replayWorkflowId(history, file), history });
  }
  quietRuntime();
  const outcomes: ReplayOutcome[] = [];
  // Results come back in the order the histories went in.
  for await (const result of Worker.runReplayHistories({ workflowsPath }, histories)) {
    const file = files[outcomes.length]!.file;
    const error = result.error;
    outcomes.push(error ? { file, ok: false, error: `${error.name}: ${coreMessage(error.message)}` } : { file, ok: true });
  }
  return outcomes;
}

/**
 * The replay error wraps core's failure in a Rust debug dump; the first message in it is the one
 * that says what differs ("Activity type of scheduled event ... does not match ...").
 */
function coreMessage(message: string): string {
  const inner = /message: "((?:[^"\\]|\\.)*)"/.exec(message);
  return inner ? inner[1]!.replace(/\\"/g, '"') : message;
}

/** Replay is expected to fail on a bad history: the worker's own logs of that are noise here, the result says it. */
function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  } catch {
    // Installed already by this process: keep it.
  }
}
