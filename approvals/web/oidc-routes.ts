/**
 * The approvals page's OIDC sign-in routes (docs/approvals.md#oidc): `GET /login/oidc` starts a sign-in
 * at the operator's provider, `GET /login/oidc/callback` finishes it (approvals/web/oidc.ts validates
 * everything the provider sent) and opens a session for the principal the policy maps the person to.
 *
 * Each sign-in's state, nonce and PKCE verifier stay on the server, keyed by a random id in a cookie of
 * its own, so a callback counts only in the browser that started it (no login CSRF) and only once.
 * That cookie is SameSite=Lax: the provider sends the person back by a cross-site navigation, which a
 * Strict cookie would not survive. For the same reason the callback answers with a page that moves on
 * to /approvals itself rather than a redirect, so the Strict session cookie goes with that request.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IntakeResult, SelfAuthenticatingRoute } from '../../intake/server';
import { OIDC_CALLBACK_PATH, type OidcPolicy } from '../../worker/oidc-policy';
import { cookieOf, redirect, sendHtml, sessionCookie } from './http';
import { createOidcSignIn, OIDC_TRANSACTION_MAX_AGE_MS, type OidcSignIn, type OidcTransaction } from './oidc';
import { signedInPage, signInPage } from './pages';
import type { SessionStore } from './sessions';

export const OIDC_START_PATH = '/login/oidc';
const OIDC_COOKIE = 'remediate_oidc';
/** Sign-ins started and not finished; past this, new ones wait until older ones expire. */
const MAX_PENDING_SIGN_INS = 1000;

type Outcome = { result: IntakeResult; source?: string };

export interface OidcRoutesDeps {
  policy: OidcPolicy;
  sessions: SessionStore;
  secureCookies: boolean;
  now: () => number;
  /** Made once, on the first sign-in; tests give their own. */
  connect?: () => Promise<OidcSignIn>;
}

export function oidcSignInRoutes(deps: OidcRoutesDeps): SelfAuthenticatingRoute[] {
  const provider = lazyProvider(deps.connect ?? (() => createOidcSignIn(deps.policy, { allowInsecureLoopback: true, now: deps.now })));
  const pending = new PendingSignIns(deps.now);
  return [
    { name: 'approvals_oidc_start', matches: (path) => path === OIDC_START_PATH, handle: (req, res) => start(req, res) },
    { name: 'approvals_oidc_callback', matches: (path) => path === OIDC_CALLBACK_PATH, handle: (req, res) => callback(req, res) },
  ];

  async function start(request: IncomingMessage, response: ServerResponse): Promise<Outcome> {
    if (request.method !== 'GET') return notAllowed(response);
    const signIn = await provider();
    if (typeof signIn === 'string') return refuse(response, 503, signIn, 'unavailable');
    const { redirectTo, transaction } = await signIn.begin();
    const id = pending.add(transaction);
    if (id === undefined) return refuse(response, 503, 'too many sign-ins are in progress: try again in a few minutes', 'rate_limited');
    redirect(response, redirectTo, { 'set-cookie': bindingCookie(id, Math.floor(OIDC_TRANSACTION_MAX_AGE_MS / 1000), deps.secureCookies) });
    return { result: 'ok' };
  }

  async function callback(request: IncomingMessage, response: ServerResponse): Promise<Outcome> {
    if (request.method !== 'GET') return notAllowed(response);
    const cleared = { 'set-cookie': bindingCookie('', 0, deps.secureCookies) };
    // Taken out before it is checked: a callback is good for one try, whatever its result.
    const transaction = pending.take(cookieOf(request, OIDC_COOKIE));
    if (!transaction)
      return refuse(response, 400, 'this sign-in was not started in this browser, or it has expired: sign in again', 'forbidden', cleared);
    const signIn = await provider();
    if (typeof signIn === 'string') return refuse(response, 503, signIn, 'unavailable', cleared);
    const completion = await signIn.complete(new URL(request.url ?? '/', 'http://callback.invalid'), transaction);
    if (!completion.ok) return refuse(response, 401, completion.reason, 'unauthorized', cleared);
    const session = deps.sessions.create(`oidc:${completion.subject}`, completion.principal);
    sendHtml(response, 200, signedInPage(session.principal), {
      'set-cookie': [sessionCookie(session.id, deps.sessions.lifetimeSeconds, deps.secureCookies), cleared['set-cookie']],
    });
    return { result: 'ok', source: session.principal };
  }
}

/** Discovers the provider on first use and keeps it; a failure is a reason for the page, and the next sign-in tries again. */
function lazyProvider(connect: () => Promise<OidcSignIn>): () => Promise<OidcSignIn | string> {
  let made: Promise<OidcSignIn> | undefined;
  return async () => {
    made ??= connect();
    try {
      return await made;
    } catch (error) {
      made = undefined;
      const why = error instanceof Error ? error.message : String(error);
      return `sign-in is unavailable: ${why}. Nobody can sign in until the provider answers; tell the operator`;
    }
  };
}

/** Started sign-ins by their cookie's random id; expired ones are dropped, and each is taken once. */
class PendingSignIns {
  private readonly byId = new Map<string, OidcTransaction>();
  constructor(private readonly now: () => number) {}

  add(transaction: OidcTransaction): string | undefined {
    if (this.byId.size >= MAX_PENDING_SIGN_INS) this.sweep();
    if (this.byId.size >= MAX_PENDING_SIGN_INS) return undefined;
    const id = randomBytes(32).toString('base64url');
    this.byId.set(id, transaction);
    return id;
  }

  take(id: string | undefined): OidcTransaction | undefined {
    if (id === undefined) return undefined;
    const transaction = this.byId.get(id);
    this.byId.delete(id);
    return transaction;
  }

  private sweep(): void {
    const oldest = this.now() - OIDC_TRANSACTION_MAX_AGE_MS;
    for (const [id, transaction] of this.byId) if (transaction.createdAtMs < oldest) this.byId.delete(id);
  }
}

function bindingCookie(id: string, maxAgeSeconds: number, secure: boolean): string {
  return `${OIDC_COOKIE}=${id}; HttpOnly; SameSite=Lax; Path=/login/oidc; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

function refuse(
  response: ServerResponse,
  status: number,
  reason: string,
  result: IntakeResult,
  extra: Record<string, string | string[]> = {},
): Outcome {
  sendHtml(response, status, signInPage({ kind: 'oidc' }, `Not signed in: ${reason}.`), extra);
  return { result };
}

function notAllowed(response: ServerResponse): Outcome {
  sendHtml(response, 405, signInPage({ kind: 'oidc' }, 'This address takes GET only.'), { allow: 'GET' });
  return { result: 'method_not_allowed' };
}
