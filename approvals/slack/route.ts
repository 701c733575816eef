/**
 * `POST /v1/slack/interactions`: Slack's interactivity request URL. Each request is read within the
 * body limit, its v0 signature checked over the exact raw bytes and its timestamp within five minutes
 * (401 otherwise), its payload parsed as hostile (400), its Slack user mapped to a principal (403
 * otherwise). Approve signs as the gateway naming that principal and answers the person privately;
 * Reject opens a modal for the reason, whose submission rejects. Every refusal is logged and counted.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Client } from '@temporalio/client';
import { castAsGateway } from '../gateway';
import { readBodyWithin } from '../../intake/limits';
import type { IntakeResult, SelfAuthenticatingRoute } from '../../intake/server';
import type { SlackPolicy } from '../../worker/slack-policy';
import { SlackApi, respond } from './api';
import { rejectModal } from './message';
import { parseInteraction, REASON_BLOCK, type Interaction } from './payload';
import { verifySlackRequest } from './signature';
import type { ApprovalTarget } from './target';
import { decisionText, refusalRecorder } from './decisions';

export const SLACK_INTERACTIONS_PATH = '/v1/slack/interactions';

export interface SlackRouteDeps {
  client: Client;
  slack: SlackPolicy;
  /** Who the policy's gateway vouches for: the refusal of an unmapped user is recorded under a name outside it. */
  vouchesFor: readonly string[];
  maxBodyBytes: number;
  log: (line: string) => void;
  now?: () => number;
}

type Outcome = { result: IntakeResult; source?: string };
type Reply = (status: number, body: unknown) => void;

export function slackInteractionsRoute(deps: SlackRouteDeps): SelfAuthenticatingRoute {
  return {
    name: 'slack_interactions',
    matches: (path) => path === SLACK_INTERACTIONS_PATH,
    handle: async (request, response) => await handleInteraction(deps, request, response),
  };
}

async function handleInteraction(deps: SlackRouteDeps, request: IncomingMessage, response: ServerResponse): Promise<Outcome> {
  const reply: Reply = (status, body) => {
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...(status >= 400 ? { connection: 'close' } : {}) });
    response.end(body === undefined ? '' : JSON.stringify(body));
  };
  const refuse = (status: number, result: IntakeResult, why: string, source?: string): Outcome => {
    deps.log(`slack: refused ${request.method} ${SLACK_INTERACTIONS_PATH} (${why})`);
    reply(status, { error: why });
    return { result, ...(source === undefined ? {} : { source }) };
  };
  if (request.method !== 'POST') return refuse(405, 'method_not_allowed', 'use POST');
  const read = await readBodyWithin(request, deps.maxBodyBytes);
  if (read.kind !== 'ok') return refuse(413, read.kind === 'too_large' ? 'too_large' : 'invalid', 'the body is too large or was cut off');
  const header = (name: string) => {
    const value = request.headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  const signed = { timestamp: header('x-slack-request-timestamp'), signature: header('x-slack-signature'), rawBody: read.body };
  const check = verifySlackRequest(deps.slack.signingSecret.reveal(), signed, (deps.now ?? Date.now)());
  if (!check.ok) return refuse(401, 'unauthorized', SIGNATURE_REFUSALS[check.reason]);
  const interaction = parseInteraction(read.body);
  if (interaction.type === 'invalid') return refuse(400, 'invalid', `a signed but unusable payload: ${interaction.why}`, 'slack');
  const principal = deps.slack.users.get(interaction.userId);
  if (principal === undefined) {
    await refusalRecorder(deps)(interaction, `Slack user ${interaction.userId} is not mapped to a principal`);
    return refuse(403, 'forbidden', `Slack user ${interaction.userId} is not mapped to a principal (slack.users)`, 'slack');
  }
  await act(deps, interaction, principal, reply);
  return { result: 'ok', source: 'slack' };
}

const SIGNATURE_REFUSALS = {
  missing: 'no X-Slack-Signature or X-Slack-Request-Timestamp',
  stale: 'the request timestamp is not within five minutes of now',
  bad_signature: 'the request signature does not match',
} as const;

async function act(deps: SlackRouteDeps, interaction: Exclude<Interaction, { type: 'invalid' }>, user: string, reply: Reply) {
  switch (interaction.type) {
    case 'button': {
      if (interaction.action === 'reject') {
        await new SlackApi(deps.slack).openView(interaction.triggerId, rejectModal(interaction.target));
        return reply(200, undefined);
      }
      const { text } = await decide(deps, interaction.target, user, 'approve');
      deps.log(`slack: ${user} (${interaction.userId}) approve ${interaction.target.incidentId}: ${text}`);
      if (allowedResponseUrl(deps.slack, interaction.responseUrl))
        await respond(interaction.responseUrl, { text, replace_original: false });
      else deps.log(`slack: not answering on a response_url outside Slack's and the API's origin`);
      return reply(200, undefined);
    }
    case 'reject_reason': {
      // Slack shows these under the reason field and keeps the modal open.
      if (interaction.reason === '') return reply(200, { response_action: 'errors', errors: { [REASON_BLOCK]: 'A reason is required.' } });
      const { counted, text } = await decide(deps, interaction.target, user, 'reject', interaction.reason);
      deps.log(`slack: ${user} (${interaction.userId}) reject ${interaction.target.incidentId}: ${text}`);
      if (counted) return reply(200, { response_action: 'clear' });
      return reply(200, { response_action: 'errors', errors: { [REASON_BLOCK]: text.slice(0, 2000) } });
    }
  }
}

async function decide(deps: SlackRouteDeps, target: ApprovalTarget, user: string, verdict: 'approve' | 'reject', reason?: string) {
  return await decisionText(() =>
    castAsGateway(deps.client, deps.slack.gateway, {
      incidentId: target.incidentId,
      user,
      verdict,
      planHash: target.planHash,
      ...(reason === undefined ? {} : { reason }),
    }),
  );
}

/** A response_url is Slack's (hooks.slack.com) or the configured API's own origin (a test's stand-in); never anything else. */
export function allowedResponseUrl(slack: Pick<SlackPolicy, 'apiUrl'>, raw: string): boolean {
  if (!URL.canParse(raw)) return false;
  const url = new URL(raw);
  if (url.protocol === 'https:' && url.hostname === 'hooks.slack.com') return true;
  return url.origin === new URL(slack.apiUrl).origin;
}
