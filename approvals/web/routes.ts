/**
 * The approvals page as routes of `remediate serve` (docs/approvals.md): they authenticate their own
 * requests (a session cookie; sign-in with a local user's password) and answer with server-rendered
 * HTML. Every POST needs the session's CSRF token; a decision is signed as the approval gateway
 * naming the signed-in principal (approvals/gateway.ts), and the workflow's answer is shown.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Client } from '@temporalio/client';
import type { ActivitiesConfig } from '../../activities/config';
import { castAsGateway } from '../gateway';
import { NotAwaitingApprovalError, RemediationClosedError } from '../../client/approvals';
import type { IntakeResult, SelfAuthenticatingRoute } from '../../intake/server';
import type { ApprovalsPagePolicy } from '../../worker/approvals-page-policy';
import { clearedCookie, field, readForm, redirect, sendCss, sendHtml, sessionCookie, sessionIdOf } from './http';
import { answerNotice, incidentPage, listPage, messagePage, signInPage, type Notice, type SignInMode } from './pages';
import type { OidcSignIn } from './oidc';
import { oidcSignInRoutes } from './oidc-routes';
import { verifyPassword } from './passwords';
import { incidentView, pendingApprovals } from './pending';
import { runPreChecks, type PreChecks } from './pre-checks';
import { csrfMatches, SessionStore, type Session } from './sessions';
import { SignInLimiter, type SignInLimits } from './sign-in-limiter';
import { STYLESHEET } from './style';

export interface ApprovalsPageDeps {
  client: Client;
  policy: ApprovalsPagePolicy;
  /** The guardrail coordinator's workflow id: the page shows its state. */
  coordinatorId: string;
  /** The worker's activities configuration, to run pre-checks live; without it they cannot be shown. */
  activities?: ActivitiesConfig;
  /** Set Secure on the session cookie (always, unless a test serves plain http to a browser that refuses it). */
  secureCookies: boolean;
  signInLimits?: SignInLimits;
  now?: () => number;
  /** The sessions, when another route (the codec server) also honours them; by default the page's own. */
  sessions?: SessionStore;
  /** The OIDC provider connection (approvals/web/oidc.ts); by default made from the policy on first sign-in. */
  connectOidc?: () => Promise<OidcSignIn>;
}

type Outcome = { result: IntakeResult; source?: string };

interface Page {
  deps: ApprovalsPageDeps;
  sessions: SessionStore;
  limiter: SignInLimiter;
  now: () => number;
  signInMode: SignInMode;
}

const CSRF_REFUSED =
  'This form was refused: its security token is missing or does not match your session. Nothing was changed; reload the page and try again.';

export function approvalsPageRoutes(deps: ApprovalsPageDeps): SelfAuthenticatingRoute[] {
  const now = deps.now ?? Date.now;
  const page: Page = {
    deps,
    now,
    sessions: deps.sessions ?? new SessionStore(deps.policy.sessionMinutes * 60_000, now),
    limiter: new SignInLimiter(deps.signInLimits, now),
    signInMode: deps.policy.oidc ? { kind: 'oidc' } : { kind: 'password' },
  };
  const oidc = deps.policy.oidc;
  return [
    ...(oidc
      ? oidcSignInRoutes({
          policy: oidc,
          sessions: page.sessions,
          secureCookies: deps.secureCookies,
          now,
          ...(deps.connectOidc ? { connect: deps.connectOidc } : {}),
        })
      : []),
    { name: 'approvals_login', matches: (path) => path === '/approvals/login', handle: (req, res) => signIn(page, req, res) },
    {
      name: 'approvals',
      matches: (path) => path === '/approvals' || path.startsWith('/approvals/'),
      handle: (req, res) => signedIn(page, req, res),
    },
  ];
}

async function signIn(page: Page, request: IncomingMessage, response: ServerResponse): Promise<Outcome> {
  if (request.method === 'GET') {
    sendHtml(response, 200, signInPage(page.signInMode));
    return { result: 'ok' };
  }
  if (request.method !== 'POST') return notAllowed(response);
  // With an OIDC provider, sign-in goes through it only: no password is checked, whatever is posted.
  if (page.signInMode.kind === 'oidc') {
    sendHtml(response, 403, signInPage(page.signInMode, "Password sign-in is off here: sign in with your organisation's account."));
    return { result: 'forbidden' };
  }
  const form = await readForm(request);
  const user = form ? (field(form, 'user') ?? '') : '';
  const password = form ? (field(form, 'password') ?? '') : '';
  const address = request.socket.remoteAddress ?? 'unknown';
  const wait = page.limiter.lockedFor(user, address);
  if (wait !== undefined) {
    sendHtml(response, 429, signInPage(page.signInMode, `Too many failed sign-ins: try again in ${Math.ceil(wait / 60)} min.`), {
      'retry-after': String(wait),
    });
    return { result: 'rate_limited' };
  }
  const known = page.deps.policy.users.get(user);
  // An unknown user and a wrong password take the same path, the same time and the same message.
  if (!(await verifyPassword(password, known?.password)) || !known) {
    page.limiter.failed(user, address);
    sendHtml(response, 401, signInPage(page.signInMode, 'Wrong user name or password.'));
    return { result: 'unauthorized' };
  }
  page.limiter.succeeded(user);
  const session = page.sessions.create(known.name, known.principal);
  redirect(response, '/approvals', { 'set-cookie': sessionCookie(session.id, page.sessions.lifetimeSeconds, page.deps.secureCookies) });
  return { result: 'ok', source: session.principal };
}

async function signedIn(page: Page, request: IncomingMessage, response: ServerResponse): Promise<Outcome> {
  const path = (request.url ?? '/').split('?')[0] ?? '/';
  if (path === '/approvals/style.css') {
    sendCss(response, STYLESHEET);
    return { result: 'ok' };
  }
  const session = page.sessions.get(sessionIdOf(request));
  if (!session) {
    if (request.method === 'POST') {
      sendHtml(response, 401, messagePage('Signed out', 'Your session has ended: sign in again. Nothing was changed.'));
      return { result: 'unauthorized' };
    }
    redirect(response, '/approvals/login');
    return { result: 'unauthorized' };
  }
  const outcome = await sessionRequest(page, session, path, request, response);
  return { ...outcome, source: session.principal };
}

async function sessionRequest(
  page: Page,
  session: Session,
  path: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<Outcome> {
  if (request.method === 'GET' && path === '/approvals') {
    sendHtml(response, 200, listPage(await pendingApprovals(page.deps.client), session, page.now()));
    return { result: 'ok' };
  }
  const target = targetOf(path);
  if (request.method === 'GET' && target?.kind === 'incident') {
    const flash = session.flash?.incidentId === target.incidentId ? session.flash : undefined;
    delete session.flash;
    return await showIncident(page, session, target.incidentId, response, flash && { kind: flash.kind, text: flash.text });
  }
  if (request.method !== 'POST') return notAllowed(response);
  const form = await readForm(request);
  if (!form || !csrfMatches(session, field(form, 'csrf'))) {
    sendHtml(response, 403, messagePage('Refused', CSRF_REFUSED, session));
    return { result: 'forbidden' };
  }
  if (path === '/approvals/logout') {
    page.sessions.destroy(session.id);
    redirect(response, '/approvals/login', { 'set-cookie': clearedCookie(page.deps.secureCookies) });
    return { result: 'ok' };
  }
  if (target?.kind !== 'decide') return notFound(response, session);
  return await decide(page, session, target.incidentId, form, response);
}

/** What `/approvals/<id>` or `/approvals/<id>/decide` names; the id is one path segment, percent-decoded. */
function targetOf(path: string): { kind: 'incident' | 'decide'; incidentId: string } | undefined {
  if (!path.startsWith('/approvals/')) return undefined;
  const segments = path.slice('/approvals/'.length).split('/');
  const kind = segments.length === 1 ? 'incident' : segments.length === 2 && segments[1] === 'decide' ? 'decide' : undefined;
  if (kind === undefined || !segments[0]) return undefined;
  try {
    return { kind, incidentId: decodeURIComponent(segments[0]) };
  } catch {
    return undefined;
  }
}

async function showIncident(
  page: Page,
  session: Session,
  incidentId: string,
  response: ServerResponse,
  notice?: Notice,
  status = 200,
): Promise<Outcome> {
  const view = await incidentView(page.deps.client, incidentId, page.deps.coordinatorId);
  if (!view) return notFound(response, session);
  const checks: PreChecks = view.pending
    ? await runPreChecks(view.record, view.pending.status.runbook, page.deps.activities)
    : { kind: 'ran', results: [] };
  sendHtml(response, status, incidentPage(view, checks, session, page.now(), notice));
  return { result: status < 300 ? 'ok' : 'forbidden' };
}

async function decide(page: Page, session: Session, incidentId: string, form: URLSearchParams, response: ServerResponse): Promise<Outcome> {
  const verdict = field(form, 'verdict');
  const planHash = field(form, 'plan_hash') ?? '';
  const reason = (field(form, 'reason') ?? '').trim();
  if (verdict !== 'approve' && verdict !== 'reject')
    return await showIncident(page, session, incidentId, response, refused('choose Approve or Reject'), 400);
  if (verdict === 'reject' && reason === '')
    return await showIncident(page, session, incidentId, response, refused('a rejection needs a reason'), 400);
  let notice: Notice;
  try {
    const answer = await castAsGateway(page.deps.client, page.deps.policy.gateway, {
      incidentId,
      user: session.principal,
      verdict,
      planHash,
      ...(reason === '' ? {} : { reason }),
    });
    notice = answerNotice(answer, verdict);
  } catch (error) {
    if (!(error instanceof RemediationClosedError || error instanceof NotAwaitingApprovalError)) throw error;
    notice = refused(error.message);
  }
  // Post/redirect/get: the answer is shown once by the incident's page, so reloading it posts nothing again.
  session.flash = { incidentId, ...notice };
  redirect(response, `/approvals/${encodeURIComponent(incidentId)}`);
  return { result: notice.kind === 'ok' ? 'ok' : 'forbidden' };
}

function refused(text: string): Notice {
  return { kind: 'refused', text: `Refused: ${text}` };
}

function notFound(response: ServerResponse, session: Session): Outcome {
  sendHtml(response, 404, messagePage('Not found', 'There is no such remediation.', session));
  return { result: 'not_found' };
}

function notAllowed(response: ServerResponse): Outcome {
  sendHtml(response, 405, messagePage('Not allowed', 'This address does not take that method.'), { allow: 'GET, POST' });
  return { result: 'method_not_allowed' };
}
