/**
 * The Block Kit messages: an approval request (summary, plan hash, runbook, risk, Approve and Reject
 * buttons carrying the incident and plan), the verdict that replaces it, and the reject modal.
 * Every piece of incident data goes through sanitizeForSlack (no mentions, links or forged lines).
 */
import { sanitizeForSlack } from '../../activities/notify/slack';
import type { Notification } from '../../activities/notify/types';
import { APPROVE_ACTION, MAX_REASON_CHARS, REASON_BLOCK, REASON_INPUT, REJECT_ACTION, REJECT_VIEW } from './payload';
import { encodeTarget, isTarget, type ApprovalTarget } from './target';

export type Block = Record<string, unknown>;
export interface SlackMessage {
  /** The fallback text for notifications and screen readers. */
  text: string;
  blocks: Block[];
}

const section = (markdown: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text: markdown } });
const code = (value: unknown, max: number) => `\`${sanitizeForSlack(String(value).replace(/`/g, "'"), max)}\``;

/** The request for approval; undefined when the notification does not name a valid plan hash. */
export function approvalRequest(n: Notification, risk: string | undefined): SlackMessage | undefined {
  const planHash = n.fields.plan_hash;
  if (!isTarget(n.incidentId, planHash)) return undefined;
  const target: ApprovalTarget = { incidentId: n.incidentId, planHash: String(planHash) };
  const value = encodeTarget(target);
  const title = sanitizeForSlack(n.title, 150);
  const facts = [
    `*Incident* ${code(n.incidentId, 128)}`,
    `*Runbook* ${n.runbookId === null ? 'none' : code(n.runbookId, 128)}`,
    `*Risk* ${sanitizeForSlack(risk ?? 'unknown', 16)}`,
    `*Approvals needed* ${sanitizeForSlack(n.fields.approvals_needed ?? '?', 8)}`,
    `*Plan hash* ${code(target.planHash, 64)}`,
  ].join('\n');
  const summary = String(n.text)
    .split('\n')
    .slice(0, 30)
    .map((line) => sanitizeForSlack(line, 300))
    .join('\n');
  return {
    text: title,
    blocks: [
      section(`:warning: *${title}*`),
      section(facts),
      section(summary === '' ? '_no summary_' : summary),
      {
        type: 'actions',
        block_id: 'decision',
        elements: [
          { type: 'button', action_id: APPROVE_ACTION, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value },
          { type: 'button', action_id: REJECT_ACTION, style: 'danger', text: { type: 'plain_text', text: 'Reject' }, value },
        ],
      },
    ],
  };
}

/** What replaces the request once a verdict is in: the notification's own title says who and what. */
export function verdictMessage(n: Notification): SlackMessage {
  const title = sanitizeForSlack(n.title, 150);
  const icon = n.kind === 'approved' ? ':white_check_mark:' : n.kind === 'rejected' ? ':no_entry:' : ':hourglass:';
  const blocks = [section(`${icon} *${title}*`)];
  const text = sanitizeForSlack(n.text, 1500);
  if (text !== '') blocks.push(section(text));
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `incident ${code(n.incidentId, 128)} · ${n.kind}` }] });
  return { text: title, blocks };
}

/** The modal asking for the reason of a rejection; the target rides in private_metadata. */
export function rejectModal(target: ApprovalTarget): Block {
  return {
    type: 'modal',
    callback_id: REJECT_VIEW,
    private_metadata: encodeTarget(target),
    title: { type: 'plain_text', text: 'Reject the plan' },
    submit: { type: 'plain_text', text: 'Reject' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      section(`Reject the plan ${code(target.planHash.slice(0, 12), 12)} for ${code(target.incidentId, 128)}?`),
      {
        type: 'input',
        block_id: REASON_BLOCK,
        label: { type: 'plain_text', text: 'Reason' },
        element: { type: 'plain_text_input', action_id: REASON_INPUT, multiline: true, max_length: MAX_REASON_CHARS },
      },
    ],
  };
}
