/** The approvals page's security pieces on their own: passwords, sessions, CSRF, the sign-in limiter, escaping. */
import { describe, expect, it } from 'vitest';
import { escapeHtml, html } from '../../approvals/web/html';
import { SECURITY_HEADERS, sessionCookie, sessionIdOf } from '../../approvals/web/http';
import { hashPassword, parsePasswordHash, verifyPassword } from '../../approvals/web/passwords';
import { csrfMatches, SessionStore } from '../../approvals/web/sessions';
import { SignInLimiter } from '../../approvals/web/sign-in-limiter';
import type { IncomingMessage } from 'node:http';

const FAST = { N: 1024, r: 8, p: 1 };

describe('passwords', () => {
  it('hashes with a random salt and its parameters, and verifies only the right password', async () => {
    const [a, b] = [await hashPassword('correct horse', FAST), await hashPassword('correct horse', FAST)];
    expect(a).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    const parsed = parsePasswordHash(a);
    if (typeof parsed === 'string') throw new Error(parsed);
    expect(await verifyPassword('correct horse', parsed)).toBe(true);
    expect(await verifyPassword('correct horsE', parsed)).toBe(false);
    expect(await verifyPassword('', parsed)).toBe(false);
  });

  it('an unknown user never verifies, whatever the password', async () => {
    expect(await verifyPassword('anything', undefined)).toBe(false);
  });

  it('the default parameters are scrypt N=2^15', async () => {
    expect(await hashPassword('x')).toMatch(/^scrypt\$32768\$8\$1\$/);
  });

  it('refuses what is not a hash it made, and weak parameters', () => {
    expect(parsePasswordHash('hunter2')).toContain('hash-password');
    expect(parsePasswordHash(`scrypt$16$8$1$${'A'.repeat(22)}$${'B'.repeat(43)}`)).toContain('power of two');
    expect(parsePasswordHash(`scrypt$3000$8$1$${'A'.repeat(22)}$${'B'.repeat(43)}`)).toContain('power of two');
  });
});

describe('sessions and CSRF', () => {
  it('makes 32-byte random ids and tokens, expires them, and forgets them on logout', () => {
    let now = 1_000;
    const store = new SessionStore(60_000, () => now);
    const session = store.create('alice', 'alice');
    expect(Buffer.from(session.id, 'base64url')).toHaveLength(32);
    expect(Buffer.from(session.csrfToken, 'base64url')).toHaveLength(32);
    expect(store.get(session.id)).toBe(session);
    expect(store.get(undefined)).toBeUndefined();
    expect(store.get('not-a-session')).toBeUndefined();
    now += 60_000;
    expect(store.get(session.id)).toBeUndefined();
    const other = store.create('bob', 'bob');
    store.destroy(other.id);
    expect(store.get(other.id)).toBeUndefined();
  });

  it('a CSRF token matches only its own session, and a missing one never', () => {
    const store = new SessionStore(60_000);
    const [a, b] = [store.create('alice', 'alice'), store.create('bob', 'bob')];
    expect(csrfMatches(a, a.csrfToken)).toBe(true);
    expect(csrfMatches(a, b.csrfToken)).toBe(false);
    expect(csrfMatches(a, undefined)).toBe(false);
    expect(csrfMatches(a, '')).toBe(false);
    expect(csrfMatches(a, `${a.csrfToken}x`)).toBe(false);
  });

  it('the cookie is HttpOnly, SameSite=Strict, Path=/ and Secure, and is read back', () => {
    expect(sessionCookie('abc', 3600, true)).toBe('remediate_session=abc; HttpOnly; SameSite=Strict; Path=/; Max-Age=3600; Secure');
    const request = { headers: { cookie: 'other=1; remediate_session=abc' } } as unknown as IncomingMessage;
    expect(sessionIdOf(request)).toBe('abc');
  });

  it('every page carries a strict CSP and the other headers', () => {
    expect(SECURITY_HEADERS['content-security-policy']).toContain("default-src 'none'");
    expect(SECURITY_HEADERS['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(SECURITY_HEADERS['content-security-policy']).toContain("form-action 'self'");
    expect(SECURITY_HEADERS['content-security-policy']).toContain("base-uri 'none'");
    expect(SECURITY_HEADERS).toMatchObject({
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
  });
});

describe('the sign-in limiter', () => {
  it('locks a user name, and an address, after five failures in the window; the window frees them', () => {
    let now = 0;
    const limiter = new SignInLimiter({ maxFailures: 5, windowMs: 60_000 }, () => now);
    for (let i = 0; i < 5; i++) limiter.failed('alice', '10.0.0.1');
    expect(limiter.lockedFor('alice', '10.0.0.9')).toBe(60);
    expect(limiter.lockedFor('bob', '10.0.0.1')).toBe(60);
    expect(limiter.lockedFor('bob', '10.0.0.9')).toBeUndefined();
    now = 60_000;
    expect(limiter.lockedFor('alice', '10.0.0.1')).toBeUndefined();
  });
});

describe('escaping', () => {
  it('escapes every interpolated string, and only nested html passes as is', () => {
    const hostile = `INC"><script>alert(1)</script>&'`;
    expect(escapeHtml(hostile)).toBe('INC&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;&#39;');
    const page = html`<a title="${hostile}">${[hostile, html`<b>${hostile}</b>`]}</a>`;
    expect(page.text).not.toContain('<script>');
    expect(page.text).toContain('<b>INC&quot;&gt;');
  });
});
