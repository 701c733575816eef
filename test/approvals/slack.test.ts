/** The Slack app's pure parts: request signatures, payload parsing as hostile input, Block Kit rendering. */
import { describe, expect, it } from 'vitest';
import { approvalRequest, rejectModal, verdictMessage } from '../../approvals/slack/message';
import { APPROVE_ACTION, parseInteraction, REJECT_VIEW } from '../../approvals/slack/payload';
import { allowedResponseUrl } from '../../approvals/slack/route';
import { slackSignature, verifySlackRequest } from '../../approvals/slack/signature';
import { decodeTarget, encodeTarget } from '../../approvals/slack/target';
import type { Notification } from '../../activities/notify/types';

const HASH = 'a'.repeat(64);

describe('Slack request signatures', () => {
  // Slack's documented example (api.slack.com/authentication/verifying-requests-from-slack).
  const secret = '8f742231b10e8888abcd99yyyzzz85a5';
  const timestamp = '1531420618';
  const body = Buffer.from(
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  );
  const expected = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
  const at = Number(timestamp) * 1000;

  it("computes Slack's example signature and accepts it", () => {
    expect(slackSignature(secret, timestamp, body)).toBe(expected);
    expect(verifySlackRequest(secret, { timestamp, signature: expected, rawBody: body }, at)).toEqual({ ok: true });
  });

  it('refuses a changed body, a changed signature, another secret and missing headers', () => {
    const tampered = Buffer.from(body.toString().replace('roadrunner', 'coyote'));
    expect(verifySlackRequest(secret, { timestamp, signature: expected, rawBody: tampered }, at)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    const flipped = `${expected.slice(0, -1)}4`;
    expect(verifySlackRequest(secret, { timestamp, signature: flipped, rawBody: body }, at)).toMatchObject({ reason: 'bad_signature' });
    expect(verifySlackRequest('another', { timestamp, signature: expected, rawBody: body }, at)).toMatchObject({ reason: 'bad_signature' });
    expect(verifySlackRequest(secret, { timestamp, signature: 'v0=short', rawBody: body }, at)).toMatchObject({ reason: 'bad_signature' });
    expect(verifySlackRequest(secret, { timestamp, signature: undefined, rawBody: body }, at)).toMatchObject({ reason: 'missing' });
  });

  it('refuses a timestamp more than five minutes away either way, even correctly signed', () => {
    const signed = { timestamp, signature: expected, rawBody: body };
    expect(verifySlackRequest(secret, signed, at + 300_000)).toEqual({ ok: true });
    expect(verifySlackRequest(secret, signed, at + 301_000)).toMatchObject({ reason: 'stale' });
    expect(verifySlackRequest(secret, signed, at - 301_000)).toMatchObject({ reason: 'stale' });
    const weird = { ...signed, timestamp: '1e9' };
    expect(verifySlackRequest(secret, { ...weird, signature: slackSignature(secret, '1e9', body) }, 1e12)).toMatchObject({
      reason: 'stale',
    });
  });
});

const form = (payload: unknown) => Buffer.from(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
const button = (value: string, extra: Record<string, unknown> = {}) => ({
  type: 'block_actions',
  user: { id: 'U0ALICE' },
  trigger_id: '1.2.abc',
  response_url: 'https://hooks.slack.com/actions/T/1/x',
  channel: { id: 'C0123' },
  message: { ts: '1700000000.000100' },
  actions: [{ action_id: APPROVE_ACTION, value }],
  ...extra,
});

describe('Slack interaction payloads', () => {
  const value = encodeTarget({ incidentId: 'INC-1', planHash: HASH });

  it('reads a button click', () => {
    expect(parseInteraction(form(button(value)))).toEqual({
      type: 'button',
      action: 'approve',
      userId: 'U0ALICE',
      target: { incidentId: 'INC-1', planHash: HASH },
      responseUrl: 'https://hooks.slack.com/actions/T/1/x',
      triggerId: '1.2.abc',
      message: { channel: 'C0123', ts: '1700000000.000100' },
    });
  });

  it('refuses hostile values: a forged target, extra fields, a huge payload, prototypes, odd types', () => {
    const invalid = (body: Buffer) => parseInteraction(body).type;
    expect(invalid(form(button('{"incident":"INC 1","plan":"' + HASH + '"}')))).toBe('invalid');
    expect(invalid(form(button(JSON.stringify({ incident: 'INC-1', plan: 'b'.repeat(63) }))))).toBe('invalid');
    expect(invalid(form(button(JSON.stringify({ incident: 'INC-1', plan: HASH, more: 1 }))))).toBe('invalid');
    expect(invalid(form(button(`${value}${' '.repeat(400)}`)))).toBe('invalid');
    expect(invalid(form(button(value, { actions: [{ action_id: 'other', value }] })))).toBe('invalid');
    expect(invalid(form(button(value, { actions: [] })))).toBe('invalid');
    expect(invalid(form(button(value, { user: { id: '<!channel>' } })))).toBe('invalid');
    expect(invalid(form(button(value, { user: { id: ['U1'] } })))).toBe('invalid');
    expect(invalid(Buffer.from(`payload=${'x'.repeat(70_000)}`))).toBe('invalid');
    expect(invalid(Buffer.from('payload=%7Bnot json'))).toBe('invalid');
    expect(invalid(Buffer.from('nothing=here'))).toBe('invalid');
    expect(invalid(form(JSON.parse('{"__proto__":{"type":"block_actions"},"user":{"id":"U1"}}')))).toBe('invalid');
    expect(decodeTarget('{"__proto__":{"incident":"x"},"incident":"INC-1","plan":"' + HASH + '"}')).toBeUndefined();
  });

  it('reads a reject modal submission, the target from private_metadata, the reason trimmed and bounded', () => {
    const view = (reason: unknown, metadata = value) => ({
      type: 'view_submission',
      user: { id: 'U0ALICE' },
      view: {
        callback_id: REJECT_VIEW,
        private_metadata: metadata,
        state: { values: { reason: { reason_input: { type: 'plain_text_input', value: reason } } } },
      },
    });
    expect(parseInteraction(form(view('  not now  ')))).toEqual({
      type: 'reject_reason',
      userId: 'U0ALICE',
      target: { incidentId: 'INC-1', planHash: HASH },
      reason: 'not now',
    });
    expect(parseInteraction(form(view(null)))).toMatchObject({ type: 'reject_reason', reason: '' });
    expect(parseInteraction(form(view('x'.repeat(1001))))).toMatchObject({ type: 'invalid' });
    expect(parseInteraction(form(view('ok', '{"incident":"INC-1"}')))).toMatchObject({ type: 'invalid' });
  });

  it("answers on Slack's response_url or the configured API's origin only", () => {
    const slack = { apiUrl: 'http://127.0.0.1:9999/api' };
    expect(allowedResponseUrl(slack, 'https://hooks.slack.com/actions/x')).toBe(true);
    expect(allowedResponseUrl(slack, 'http://127.0.0.1:9999/respond/1')).toBe(true);
    expect(allowedResponseUrl(slack, 'http://hooks.slack.com/actions/x')).toBe(false);
    expect(allowedResponseUrl(slack, 'https://evil.example/hooks.slack.com')).toBe(false);
    expect(allowedResponseUrl(slack, 'http://169.254.169.254/latest')).toBe(false);
  });
});

describe('Block Kit messages', () => {
  const hostile: Notification = {
    incidentId: 'INC-1',
    runbookId: 'restart',
    kind: 'approval_needed',
    severity: 'warning',
    title: 'INC-1: approval needed <!channel> @here <http://evil.example|click>',
    text: 'why. Plan aaaa:\n1. run <@U999> & `rm -rf`\n2. \u202eevil',
    fields: { approvals_needed: 2, plan_hash: HASH },
  };

  it('renders summary, hash, runbook and risk, and buttons carrying incident and plan', () => {
    const message = approvalRequest(hostile, 'HIGH')!;
    const json = JSON.stringify(message);
    expect(json).toContain(HASH);
    expect(json).toContain('HIGH');
    expect(json).toContain('`restart`');
    const actions = message.blocks.find((b) => b.type === 'actions') as { elements: Array<{ action_id: string; value: string }> };
    expect(actions.elements.map((e) => e.action_id)).toEqual(['remediate_approve', 'remediate_reject']);
    for (const element of actions.elements) expect(decodeTarget(element.value)).toEqual({ incidentId: 'INC-1', planHash: HASH });
  });

  it('escapes incident text: no mentions, links, special characters or direction overrides', () => {
    const texts = [approvalRequest(hostile, 'HIGH')!, verdictMessage({ ...hostile, kind: 'rejected' })].map((m) => JSON.stringify(m));
    for (const text of texts) {
      expect(text).not.toContain('<!channel>');
      expect(text).not.toContain('<@U999>');
      expect(text).not.toContain('<http://evil.example');
      expect(text).not.toMatch(/(^|[^\u200b])@here/);
      expect(text).not.toContain('\u202e');
      expect(text).toContain('&lt;!channel&gt;');
      expect(text).toContain('&amp;');
    }
  });

  it('posts no buttons for a notification without a valid plan hash', () => {
    expect(approvalRequest({ ...hostile, fields: { plan_hash: 'not-a-hash' } }, 'HIGH')).toBeUndefined();
    expect(approvalRequest({ ...hostile, incidentId: 'bad id' }, 'HIGH')).toBeUndefined();
  });

  it('builds the reject modal with the target in private_metadata and a required reason input', () => {
    const modal = rejectModal({ incidentId: 'INC-1', planHash: HASH });
    expect(modal).toMatchObject({ type: 'modal', callback_id: REJECT_VIEW });
    expect(decodeTarget(modal.private_metadata)).toEqual({ incidentId: 'INC-1', planHash: HASH });
    expect(JSON.stringify(modal)).toContain('"block_id":"reason"');
  });
});
