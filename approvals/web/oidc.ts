/**
 * Sign-in to the approvals page through the operator's OpenID provider (docs/approvals.md#oidc): the
 * authorization code flow with PKCE (S256), state and nonce, by openid-client, which validates the ID
 * token (issuer, audience, expiry, signature against the provider's keys). The page keeps each
 * transaction server-side keyed by its state and calls `complete` on the callback; it sets the session
 * only when `complete` answers ok. Refusals are short reasons for a person, never a stack; the claim
 * value in one is the provider's, so the page escapes it. No token and no secret is ever logged.
 */
import * as client from 'openid-client';
import { isLoopbackHost, type OidcPolicy } from '../../worker/oidc-policy';

export interface OidcTransaction {
  state: string;
  nonce: string;
  codeVerifier: string;
  createdAtMs: number;
}

export type OidcCompletion = { ok: true; principal: string; subject: string } | { ok: false; reason: string };

export interface OidcSignIn {
  begin(): Promise<{ redirectTo: string; transaction: OidcTransaction }>;
  complete(callbackUrl: URL, transaction: OidcTransaction): Promise<OidcCompletion>;
}

/** How long a person may take at the provider between begin and callback. */
export const OIDC_TRANSACTION_MAX_AGE_MS = 10 * 60_000;
/** A transaction dated later than this ahead of the clock is not one this process made. */
const CLOCK_SKEW_MS = 60_000;
const NETWORK_TIMEOUT_S = 10;
/** Claim values shown in a refusal are cut here: enough to recognise, short enough for a page. */
const MAX_SHOWN = 80;

/** Raised by createOidcSignIn when the provider cannot be used; its message names the issuer, nothing secret. */
export class OidcConfigurationError extends Error {
  override readonly name = 'OidcConfigurationError';
}

/**
 * Discovers the provider once, here. `allowInsecureLoopback`: allow an http:// issuer on a loopback host
 * (tests, a provider on this machine); otherwise only https.
 */
export async function createOidcSignIn(
  policy: OidcPolicy,
  options: { allowInsecureLoopback?: boolean; now?: () => number } = {},
): Promise<OidcSignIn> {
  const now = options.now ?? Date.now;
  const config = await discover(policy, options.allowInsecureLoopback === true);
  const scope = scopeFor(policy.claim);
  return {
    async begin() {
      const transaction: OidcTransaction = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        codeVerifier: client.randomPKCECodeVerifier(),
        createdAtMs: now(),
      };
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: policy.redirectUrl,
        response_type: 'code',
        scope,
        state: transaction.state,
        nonce: transaction.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(transaction.codeVerifier),
        code_challenge_method: 'S256',
      });
      return { redirectTo: url.href, transaction };
    },
    async complete(callbackUrl, transaction) {
      try {
        return await completeSignIn(config, policy, callbackUrl, transaction, now());
      } catch (error) {
        return { ok: false, reason: refusalOf(error) };
      }
    },
  };
}

async function discover(policy: OidcPolicy, allowInsecureLoopback: boolean): Promise<client.Configuration> {
  const issuer = new URL(policy.issuer);
  const insecure = issuer.protocol === 'http:';
  if (insecure && !(allowInsecureLoopback && isLoopbackHost(issuer.hostname)))
    throw new OidcConfigurationError(`the OIDC issuer ${policy.issuer} is not https: plain http is allowed only on loopback, in tests`);
  try {
    return await client.discovery(
      issuer,
      policy.clientId,
      { client_secret: policy.clientSecret },
      client.ClientSecretBasic(policy.clientSecret),
      {
        timeout: NETWORK_TIMEOUT_S,
        ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
      },
    );
  } catch (error) {
    throw new OidcConfigurationError(`cannot discover the OIDC provider ${policy.issuer}: ${describe(error)}`);
  }
}

/** `openid`, and the standard scope that releases the configured claim. */
function scopeFor(claim: string): string {
  if (claim === 'email') return 'openid email';
  if (['name', 'preferred_username', 'nickname', 'given_name', 'family_name'].includes(claim)) return 'openid profile';
  return 'openid';
}

async function completeSignIn(
  config: client.Configuration,
  policy: OidcPolicy,
  callbackUrl: URL,
  transaction: OidcTransaction,
  nowMs: number,
): Promise<OidcCompletion> {
  const age = nowMs - transaction.createdAtMs;
  if (!Number.isFinite(age) || age > OIDC_TRANSACTION_MAX_AGE_MS || age < -CLOCK_SKEW_MS)
    return { ok: false, reason: 'the sign-in took longer than 10 minutes: sign in again' };
  if (callbackUrl.searchParams.get('state') !== transaction.state)
    return { ok: false, reason: 'the sign-in response does not belong to this sign-in (state mismatch): sign in again' };
  // The redirect_uri sent to the token endpoint must be the one registered, whatever URL the page was reached by.
  const response = new URL(policy.redirectUrl);
  response.search = callbackUrl.search;
  const tokens = await client.authorizationCodeGrant(config, response, {
    expectedState: transaction.state,
    expectedNonce: transaction.nonce,
    pkceCodeVerifier: transaction.codeVerifier,
    idTokenExpected: true,
  });
  const idToken = tokens.claims();
  if (!idToken) return { ok: false, reason: 'the provider sent no ID token' };
  // Many providers put profile claims only in userinfo for the code flow; fetched then, bound to the same subject.
  const claims: Record<string, unknown> =
    idToken[policy.claim] !== undefined ? idToken : await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
  return principalOf(policy, idToken.sub, claims);
}

function principalOf(policy: OidcPolicy, subject: string, claims: Record<string, unknown>): OidcCompletion {
  const value = claims[policy.claim];
  if (typeof value !== 'string' || value === '')
    return { ok: false, reason: `the provider did not say who you are: no "${policy.claim}" claim` };
  if (policy.claim === 'email' && claims.email_verified !== true)
    return { ok: false, reason: `the provider has not verified the email address ${shown(value)}` };
  const principal = policy.principals.get(value);
  if (principal === undefined) return { ok: false, reason: `${shown(value)} is not mapped to a principal in the operator policy` };
  return { ok: true, principal, subject };
}

function shown(value: string): string {
  return JSON.stringify(value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value);
}

/** A person's reason for what openid-client or the provider refused; the provider's own words are only an error code. */
function refusalOf(error: unknown): string {
  if (error instanceof client.AuthorizationResponseError) return `the provider refused the sign-in (${code(error.error)})`;
  // A refused client_secret_basic comes back as a 401 challenge rather than a JSON body.
  const invalidClient =
    error instanceof client.WWWAuthenticateChallengeError &&
    error.cause.some((challenge) => challenge.parameters.error === 'invalid_client');
  if (invalidClient || (error instanceof client.ResponseBodyError && error.error === 'invalid_client'))
    return "the provider refused this page's client credentials: the operator must check client_id and the client secret";
  if (error instanceof client.ResponseBodyError) {
    if (error.error === 'invalid_grant')
      return 'the provider refused the sign-in code: it was used already, has expired, or belongs to another sign-in; sign in again';
    return `the provider refused the sign-in (${code(error.error)})`;
  }
  if (error instanceof client.ClientError) {
    // openid-client's message is the category; the check that failed is its cause's.
    const detail = error.cause instanceof Error ? error.cause : error;
    if (error.code === 'OAUTH_JWT_CLAIM_COMPARISON_FAILED' && /"nonce"/.test(detail.message))
      return 'the ID token belongs to another sign-in (nonce mismatch): sign in again';
    if (error.code === 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED') return 'the ID token has expired or is not valid yet';
    return `the provider's answer did not validate (${describe(detail)})`;
  }
  return `the provider could not be reached or answered badly (${describe(error)})`;
}

/** An OAuth error code as the provider sent it, if it looks like one. */
function code(text: string): string {
  return /^[\x20-\x7e]{1,64}$/.test(text) ? text : 'error';
}

/** openid-client's messages name the check that failed and carry no token; cut to one short line. */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/[\x00-\x1f\x7f]+/g, ' ').slice(0, 160);
}
