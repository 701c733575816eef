/**
 * Slack's interaction payloads, after the signature was checked: the form field `payload` holds JSON.
 * Only what the route acts on is read, each value checked (Slack ids, bounded strings, the target of
 * target.ts); anything else is `invalid`. Records are read through Maps: no prototype lookups.
 */
import { decodeTarget, type ApprovalTarget } from './target';

export const APPROVE_ACTION = 'remediate_approve';
export const REJECT_ACTION = 'remediate_reject';
export const REJECT_VIEW = 'remediate_reject_reason';
export const REASON_BLOCK = 'reason';
export const REASON_INPUT = 'reason_input';
export const MAX_REASON_CHARS = 1000;

const SLACK_ID = /^[A-Z0-9][A-Za-z0-9_.-]{0,63}$/;
const MESSAGE_TS = /^\d{1,12}\.\d{1,8}$/;
const MAX_PAYLOAD_CHARS = 64 * 1024;

export type Interaction =
  | {
      type: 'button';
      action: 'approve' | 'reject';
      userId: string;
      target: ApprovalTarget;
      responseUrl: string;
      triggerId: string;
      message?: { channel: string; ts: string };
    }
  | { type: 'reject_reason'; userId: string; target: ApprovalTarget; reason: string }
  | { type: 'invalid'; why: string; userId?: string };

type Fields = Map<string, unknown>;

function fieldsOf(value: unknown): Fields | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? new Map(Object.entries(value)) : undefined;
}

function textAt(fields: Fields | undefined, key: string, max = 4096): string | undefined {
  const value = fields?.get(key);
  return typeof value === 'string' && value.length <= max ? value : undefined;
}

function idAt(fields: Fields | undefined, key: string): string | undefined {
  const value = textAt(fields, key, 64);
  return value !== undefined && SLACK_ID.test(value) ? value : undefined;
}

/** The raw (already verified) form body to an interaction. */
export function parseInteraction(rawBody: Buffer): Interaction {
  const form = new URLSearchParams(rawBody.toString('utf8'));
  const text = form.get('payload');
  if (text === null) return { type: 'invalid', why: 'no payload field' };
  if (text.length > MAX_PAYLOAD_CHARS) return { type: 'invalid', why: 'the payload is too large' };
  let payload: Fields | undefined;
  try {
    payload = fieldsOf(JSON.parse(text));
  } catch {
    return { type: 'invalid', why: 'the payload is not JSON' };
  }
  if (!payload) return { type: 'invalid', why: 'the payload is not an object' };
  const userId = idAt(fieldsOf(payload.get('user')), 'id');
  if (userId === undefined) return { type: 'invalid', why: 'no valid user.id' };
  switch (payload.get('type')) {
    case 'block_actions':
      return buttonOf(payload, userId);
    case 'view_submission':
      return reasonOf(payload, userId);
    default:
      return { type: 'invalid', why: 'not a block_actions or view_submission payload', userId };
  }
}

function buttonOf(payload: Fields, userId: string): Interaction {
  const actions = payload.get('actions');
  if (!Array.isArray(actions) || actions.length !== 1) return { type: 'invalid', why: 'expected exactly one action', userId };
  const action = fieldsOf(actions[0]);
  const actionId = textAt(action, 'action_id', 255);
  if (actionId !== APPROVE_ACTION && actionId !== REJECT_ACTION) return { type: 'invalid', why: 'an unknown action', userId };
  const target = decodeTarget(action?.get('value'));
  if (!target) return { type: 'invalid', why: 'the button value is not an incident and plan', userId };
  const responseUrl = textAt(payload, 'response_url', 1024);
  const triggerId = textAt(payload, 'trigger_id', 255);
  if (responseUrl === undefined || !URL.canParse(responseUrl) || triggerId === undefined)
    return { type: 'invalid', why: 'no response_url or trigger_id', userId };
  const channel = idAt(fieldsOf(payload.get('channel')), 'id');
  const ts = textAt(fieldsOf(payload.get('message')), 'ts', 32);
  return {
    type: 'button',
    action: actionId === APPROVE_ACTION ? 'approve' : 'reject',
    userId,
    target,
    responseUrl,
    triggerId,
    ...(channel !== undefined && ts !== undefined && MESSAGE_TS.test(ts) ? { message: { channel, ts } } : {}),
  };
}

function reasonOf(payload: Fields, userId: string): Interaction {
  const view = fieldsOf(payload.get('view'));
  if (textAt(view, 'callback_id', 255) !== REJECT_VIEW) return { type: 'invalid', why: 'an unknown view', userId };
  const target = decodeTarget(view?.get('private_metadata'));
  if (!target) return { type: 'invalid', why: 'the view does not name an incident and plan', userId };
  const values = fieldsOf(fieldsOf(fieldsOf(view?.get('state'))?.get('values'))?.get(REASON_BLOCK));
  const input = fieldsOf(values?.get(REASON_INPUT));
  const raw = input?.get('value');
  // Slack sends null for an input left empty.
  const reason = typeof raw === 'string' ? raw.trim() : '';
  if (reason.length > MAX_REASON_CHARS) return { type: 'invalid', why: 'the reason is too long', userId };
  return { type: 'reject_reason', userId, target, reason };
}
