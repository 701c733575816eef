/**
 * OIDC sign-in for the approvals page (approvals/web/oidc.ts) against a real OpenID provider on
 * loopback (oidc-provider 9, test/harness/oidc-provider.ts): begin, the provider's own login and consent
 * pages driven over HTTP, the callback URL it sends back, and complete. Every refusal is an answer with
 * a reason, never a throw.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOidcSignIn, OidcConfigurationError, type OidcSignIn, type OidcTransaction } from '../../approvals/web/oidc';
import type { OidcPolicy } from '../../worker/oidc-policy';
import { signInAt, startTestProvider, type TestAccount, type TestProvider } from '../harness/oidc-provider';

const CLIENT = {
  clientId: 'approvals-page',
  clientSecret: 'test-client-secret-0123456789',
  redirectUrl: 'http://127.0.0.1:9/login/oidc/callback',
};
const ACCOUNTS = new Map<string, TestAccount>([
  ['alice', { email: 'alice@example.com', emailVerified: true }],
  ['mallory', { email: 'mallory@example.com', emailVerified: true }],
  ['eve', { email: 'eve@example.com', emailVerified: false }],
]);
const PRINCIPALS = new Map([
  ['alice@example.com', 'alice'],
  ['eve@example.com', 'eve'],
]);

let provider: TestProvider;
let idTokenProvider: TestProvider;

function policyFor(issuer: string, overrides: Partial<OidcPolicy> = {}): OidcPolicy {
  return { issuer, ...CLIENT, claim: 'email', principals: PRINCIPALS, ...overrides };
}

/** begin, then sign in at the provider as `login`: the callback URL and the transaction the page kept. */
async function signIn(signIn: OidcSignIn, login: string): Promise<{ callback: URL; transaction: OidcTransaction }> {
  const { redirectTo, transaction } = await signIn.begin();
  return { callback: await signInAt(redirectTo, CLIENT.redirectUrl, login), transaction };
}

beforeAll(async () => {
  provider = await startTestProvider(CLIENT, ACCOUNTS);
  idTokenProvider = await startTestProvider(CLIENT, ACCOUNTS, { idTokenClaims: true });
});

afterAll(async () => {
  await provider?.close();
  await idTokenProvider?.close();
});

describe('OIDC sign-in against a real provider', () => {
  it('signs a mapped, verified account in as its principal: code flow with PKCE S256, state and nonce', async () => {
    const oidc = await createOidcSignIn(policyFor(provider.issuer), { allowInsecureLoopback: true });
    const { redirectTo, transaction } = await oidc.begin();
    const authorize = new URL(redirectTo);
    expect(authorize.origin).toBe(provider.issuer);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      client_id: CLIENT.clientId,
      redirect_uri: CLIENT.redirectUrl,
      response_type: 'code',
      scope: 'openid email',
      state: transaction.state,
      nonce: transaction.nonce,
      code_challenge_method: 'S256',
    });
    // The verifier stays with the page; only its challenge travels.
    expect(redirectTo).not.toContain(transaction.codeVerifier);
    const callback = await signInAt(redirectTo, CLIENT.redirectUrl, 'alice');
    expect(callback.searchParams.get('state')).toBe(transaction.state);
    expect(await oidc.complete(callback, transaction)).toEqual({ ok: true, principal: 'alice', subject: 'alice' });
  });

  it('takes the claim from the ID token itself when the provider puts it there', async () => {
    const oidc = await createOidcSignIn(policyFor(idTokenProvider.issuer), { allowInsecureLoopback: true });
    const { redirectTo, transaction } = await oidc.begin();
    const callback = await signInAt(redirectTo, CLIENT.redirectUrl, 'alice');
    expect(await oidc.complete(callback, transaction)).toEqual({ ok: true, principal: 'alice', subject: 'alice' });
  });

  it('maps another claim when the policy names it (sub)', async () => {
    const oidc = await createOidcSignIn(policyFor(provider.issuer, { claim: 'sub', principals: new Map([['mallory', 'mal']]) }), {
      allowInsecureLoopback: true,
    });
    const { callback, transaction } = await signIn(oidc, 'mallory');
    expect(await oidc.complete(callback, transaction)).toEqual({ ok: true, principal: 'mal', subject: 'mallory' });
  });
});

describe('OIDC sign-in refusals', () => {
  let oidc: OidcSignIn;
  let clockMs = Date.now();
  beforeAll(async () => {
    oidc = await createOidcSignIn(policyFor(provider.issuer), { allowInsecureLoopback: true, now: () => clockMs });
  });

  it('refuses an account the policy does not map, naming its claim value', async () => {
    const { callback, transaction } = await signIn(oidc, 'mallory');
    expect(await oidc.complete(callback, transaction)).toEqual({
      ok: false,
      reason: '"mallory@example.com" is not mapped to a principal in the operator policy',
    });
  });

  it('refuses an email the provider has not verified, even when it is mapped', async () => {
    const { callback, transaction } = await signIn(oidc, 'eve');
    expect(await oidc.complete(callback, transaction)).toEqual({
      ok: false,
      reason: 'the provider has not verified the email address "eve@example.com"',
    });
  });

  it('refuses a callback whose state is not the transaction’s (tampered, or another sign-in’s)', async () => {
    const { callback, transaction } = await signIn(oidc, 'alice');
    const tampered = new URL(callback);
    tampered.searchParams.set('state', 'not-the-state-that-was-sent');
    expect(await oidc.complete(tampered, transaction)).toEqual({
      ok: false,
      reason: 'the sign-in response does not belong to this sign-in (state mismatch): sign in again',
    });
    // The refusal spent nothing: the untampered callback still completes.
    expect(await oidc.complete(callback, transaction)).toMatchObject({ ok: true, principal: 'alice' });
  });

  it('refuses a replayed callback: the provider takes each code once', async () => {
    const { callback, transaction } = await signIn(oidc, 'alice');
    expect(await oidc.complete(callback, transaction)).toMatchObject({ ok: true, principal: 'alice' });
    const replay = await oidc.complete(callback, transaction);
    expect(replay).toEqual({ ok: false, reason: expect.stringContaining('the provider refused the sign-in code') });
  });

  it('refuses a transaction from a different begin: the other state, nonce or PKCE verifier', async () => {
    const other = (await oidc.begin()).transaction;
    const first = await signIn(oidc, 'alice');
    expect(await oidc.complete(first.callback, other)).toMatchObject({ ok: false, reason: expect.stringContaining('state mismatch') });

    const second = await signIn(oidc, 'alice');
    expect(await oidc.complete(second.callback, { ...second.transaction, nonce: other.nonce })).toEqual({
      ok: false,
      reason: 'the ID token belongs to another sign-in (nonce mismatch): sign in again',
    });

    const third = await signIn(oidc, 'alice');
    expect(await oidc.complete(third.callback, { ...third.transaction, codeVerifier: other.codeVerifier })).toEqual({
      ok: false,
      reason: expect.stringContaining('the provider refused the sign-in code'),
    });
  });

  it('refuses a transaction older than 10 minutes', async () => {
    const { callback, transaction } = await signIn(oidc, 'alice');
    clockMs += 10 * 60_000 + 1;
    try {
      expect(await oidc.complete(callback, transaction)).toEqual({
        ok: false,
        reason: 'the sign-in took longer than 10 minutes: sign in again',
      });
    } finally {
      clockMs = Date.now();
    }
  });

  it('refuses when the provider refuses the client secret at the code exchange', async () => {
    const wrong = await createOidcSignIn(policyFor(provider.issuer, { clientSecret: 'not-the-client-secret' }), {
      allowInsecureLoopback: true,
    });
    const { callback, transaction } = await signIn(wrong, 'alice');
    const answer = await wrong.complete(callback, transaction);
    expect(answer).toEqual({
      ok: false,
      reason: "the provider refused this page's client credentials: the operator must check client_id and the client secret",
    });
    expect(JSON.stringify(answer)).not.toContain('not-the-client-secret');
  });

  it('refuses the provider’s own refusal (access denied at consent) as an answer', async () => {
    const { redirectTo, transaction } = await oidc.begin();
    const denied = new URL(CLIENT.redirectUrl);
    denied.search = new URLSearchParams({ error: 'access_denied', state: transaction.state, iss: provider.issuer }).toString();
    expect(redirectTo).toContain(transaction.state);
    expect(await oidc.complete(denied, transaction)).toEqual({ ok: false, reason: 'the provider refused the sign-in (access_denied)' });
  });

  it('refuses an http issuer unless told it is a loopback test, and names an unreachable provider', async () => {
    await expect(createOidcSignIn(policyFor(provider.issuer))).rejects.toThrow(OidcConfigurationError);
    await expect(createOidcSignIn(policyFor('http://127.0.0.1:9'), { allowInsecureLoopback: true })).rejects.toThrow(
      /cannot discover the OIDC provider http:\/\/127\.0\.0\.1:9/,
    );
  });
});
