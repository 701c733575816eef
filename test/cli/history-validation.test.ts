/**
 * Decoded histories are validated: every recorded history (all formats, v1-* to the current ones)
 * decodes and builds its timeline, and a malformed one is a clear, user-facing error naming the
 * event and what it should have held. Step stages are read from requests of format 2 and inferred
 * for format 1.
 */
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MalformedHistoryError, NotARemediationError, readRecord, type History } from '../../client/history';
import { buildTimeline } from '../../client/timeline';
import { inferStageOfUnstagedRequest } from '../../client/timeline-stage';
import { EXIT, isUserFacingError } from '../../dsl/user-facing-error';
import { HISTORY_FORMAT } from '../../contracts/types';
import { ROOT } from './run-cli';

const DIR = join(ROOT, 'test/histories');
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

type JsonEvent = Record<string, Record<string, unknown> | string | undefined> & { eventId: string };
type JsonHistory = { events: JsonEvent[] };
type JsonPayload = { metadata?: Record<string, string>; data?: string };

const json = (name: string): JsonHistory => JSON.parse(readFileSync(join(DIR, name), 'utf8'));
const load = (history: JsonHistory): History => historyFromJSON(history);

function decode(payload: JsonPayload): unknown {
  return JSON.parse(Buffer.from(payload.data ?? '', 'base64').toString('utf8'));
}
function encode(value: unknown): JsonPayload {
  return {
    metadata: { encoding: Buffer.from('json/plain').toString('base64') },
    data: Buffer.from(JSON.stringify(value)).toString('base64'),
  };
}

/** Rewrites the first payload under `attributes.<field>` of every event matching `match`. */
function rewrite(
  history: JsonHistory,
  match: (event: JsonEvent) => string | undefined,
  field: string,
  change: (value: Record<string, unknown>) => unknown,
): JsonHistory {
  for (const event of history.events) {
    const attributes = match(event);
    if (!attributes) continue;
    const holder = event[attributes] as Record<string, { payloads: JsonPayload[] }>;
    const payloads = holder[field]!.payloads;
    payloads[0] = encode(change(decode(payloads[0]!) as Record<string, unknown>));
  }
  return history;
}
const started = (event: JsonEvent) =>
  event.workflowExecutionStartedEventAttributes ? 'workflowExecutionStartedEventAttributes' : undefined;
const completed = (event: JsonEvent) =>
  event.workflowExecutionCompletedEventAttributes ? 'workflowExecutionCompletedEventAttributes' : undefined;
const scheduled = (type: string) => (event: JsonEvent) => {
  const attrs = event.activityTaskScheduledEventAttributes;
  return typeof attrs === 'object' && (attrs.activityType as { name?: string } | undefined)?.name === type
    ? 'activityTaskScheduledEventAttributes'
    : undefined;
};
const idOf = (history: JsonHistory, match: (event: JsonEvent) => string | undefined) => history.events.find((e) => match(e))!.eventId;

function malformedError(history: JsonHistory): MalformedHistoryError {
  try {
    buildTimeline(load(history));
  } catch (error) {
    if (error instanceof MalformedHistoryError) return error;
    throw error;
  }
  throw new Error('the history was accepted');
}

describe('every recorded history decodes', () => {
  it.each(FILES)('%s', (file) => {
    const history = load(json(file));
    if (file.includes('coordinator-')) {
      // The coordinator's own histories are not remediations: refused as such, not as malformed.
      expect(() => buildTimeline(history)).toThrow(NotARemediationError);
      expect(() => buildTimeline(history)).not.toThrow(MalformedHistoryError);
      return;
    }
    const record = readRecord(history);
    expect(record.catalogue.runbooks.length).toBeGreaterThan(0);
    const timeline = buildTimeline(history);
    expect(timeline.entries[0]!.kind).toBe('submitted');
    expect(timeline.entries.at(-1)!.kind).toBe('outcome');
  });
});

describe('step stages', () => {
  it('a history of format 2 says each request stage, and the timeline reads it instead of guessing', () => {
    const history = json('v2-rolled-back.json');
    const inferred = buildTimeline(load(history))
      .entries.filter((e) => e.kind === 'check' || e.kind === 'action')
      .map((e) => e.summary.split(':')[0]);
    expect(inferred[0]).toBe('pre-check current_replicas_below_max');
    expect(inferred.at(-1)).toBe('rollback action restore');
    rewrite(history, started, 'input', (input) => ({ ...input, formatVersion: HISTORY_FORMAT.stagedRequests }));
    // Stages no order would give: every check a post-check, every action a rollback.
    rewrite(history, scheduled('runCheck'), 'input', (request) => ({ ...request, stage: 'post' }));
    rewrite(history, scheduled('runAction'), 'input', (request) => ({ ...request, stage: 'rollback' }));
    const read = buildTimeline(load(history))
      .entries.filter((e) => e.kind === 'check' || e.kind === 'action')
      .map((e) => e.summary.split(':')[0]);
    expect(read).toEqual(inferred.map((label = '') => label.replace(/^pre-check/, 'post-check').replace(/^action/, 'rollback action')));
  });

  it('format 1 infers: checks before the first action are pre-checks, actions keyed /rollback/ are rollbacks', () => {
    expect(inferStageOfUnstagedRequest({ kind: 'check' }, false)).toBe('pre');
    expect(inferStageOfUnstagedRequest({ kind: 'check' }, true)).toBe('post');
    expect(inferStageOfUnstagedRequest({ kind: 'action', idempotencyKey: 'incident-X/scale' }, false)).toBe('action');
    expect(inferStageOfUnstagedRequest({ kind: 'action', idempotencyKey: 'incident-X/rollback/restore' }, true)).toBe('rollback');
  });

  it('a history of format 2 with a request that does not say its stage is malformed', () => {
    const history = rewrite(json('v2-rolled-back.json'), started, 'input', (input) => ({
      ...input,
      formatVersion: HISTORY_FORMAT.stagedRequests,
    }));
    const error = malformedError(history);
    expect(error.eventId).toBe(idOf(history, scheduled('runCheck')));
    expect(error.message).toMatch(/^malformed history: event \d+: expected the input of runCheck: missing required field "stage"/);
  });

  it('an unknown stage is malformed, whatever the format', () => {
    const history = rewrite(json('v2-rolled-back.json'), scheduled('runAction'), 'input', (request) => ({
      ...request,
      stage: 'afterwards',
    }));
    const error = malformedError(history);
    expect(error.eventId).toBe(idOf(history, scheduled('runAction')));
    expect(error.message).toBe(
      `malformed history: event ${error.eventId}: expected an action request (the input of runAction): stage: expected one of "action", "rollback", found "afterwards"`,
    );
  });
});

describe('malformed histories', () => {
  it('a field of the wrong type names the event, the field and what was expected', () => {
    const history = rewrite(json('inc001-remediated.json'), started, 'input', (input) => ({
      ...input,
      incident: { ...(input.incident as object), confidence: 'high' },
    }));
    const error = malformedError(history);
    expect(error.message).toBe(
      'malformed history: event 1: expected the workflow input (an incident): incident.confidence: expected a number, found "high"',
    );
    // A user-facing error: the CLI prints it as one message, with the usage exit code.
    expect(isUserFacingError(error)).toBe(true);
    expect(error.exitCode).toBe(EXIT.USAGE);
    expect(error).toBeInstanceOf(NotARemediationError);
  });

  it('a missing field in the result names the completion event', () => {
    const history = rewrite(json('inc001-remediated.json'), completed, 'result', ({ outcome: _outcome, ...rest }) => rest);
    const error = malformedError(history);
    expect(error.eventId).toBe(idOf(history, completed));
    expect(error.message).toMatch(/expected the remediation result: missing required field "outcome"$/);
  });

  it('a result of the wrong kind (an action outcome without its executor result) is malformed', () => {
    const history = json('v2-rolled-back.json');
    const action = history.events.find((e) => scheduled('runAction')(e))!;
    const close = history.events.find(
      (e) =>
        typeof e.activityTaskCompletedEventAttributes === 'object' &&
        String(e.activityTaskCompletedEventAttributes.scheduledEventId) === action.eventId,
    )!;
    rewrite(
      history,
      (e) => (e === close ? 'activityTaskCompletedEventAttributes' : undefined),
      'result',
      (outcome) => ({ ...outcome, result: 'done' }),
    );
    const error = malformedError(history);
    expect(error.eventId).toBe(close.eventId);
    expect(error.message).toMatch(/expected the result of runAction: result: /);
  });

  it('a history written in a newer format than this reader knows is refused', () => {
    const history = rewrite(json('inc001-remediated.json'), started, 'input', (input) => ({
      ...input,
      formatVersion: HISTORY_FORMAT.current + 1,
    }));
    expect(malformedError(history).message).toBe(
      `malformed history: event 1: expected a history format up to ${HISTORY_FORMAT.current}: format ${HISTORY_FORMAT.current + 1} was written by a newer remediate`,
    );
  });

  it('a catalogue that is not a compiled catalogue is malformed, in the worker-context answer', () => {
    const history = json('inc001-remediated.json');
    const marker = (e: JsonEvent) => {
      const attrs = e.markerRecordedEventAttributes;
      if (typeof attrs !== 'object' || attrs.markerName !== 'core_local_activity') return undefined;
      const details = attrs.details as { data: { payloads: JsonPayload[] } };
      return (decode(details.data.payloads[0]!) as { activity_type?: string }).activity_type === 'workerContext'
        ? 'markerRecordedEventAttributes'
        : undefined;
    };
    const event = history.events.find((e) => marker(e))!;
    const details = (event.markerRecordedEventAttributes as { details: { result: { payloads: JsonPayload[] } } }).details;
    const context = decode(details.result.payloads[0]!) as { catalogue: { runbooks: Array<Record<string, unknown>> } };
    context.catalogue.runbooks[0]!.risk = 'EXTREME';
    details.result.payloads[0] = encode(context);
    const error = malformedError(history);
    expect(error.eventId).toBe(event.eventId);
    expect(error.message).toMatch(
      /expected the worker's context \(workerContext result\): catalogue\.runbooks\[0\]\.risk: expected one of "LOW", "MEDIUM", "HIGH", found "EXTREME"$/,
    );
  });
});
