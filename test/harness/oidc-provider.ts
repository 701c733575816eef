/**
 * A real OpenID provider (oidc-provider 9) on loopback for the sign-in tests, with its development
 * login and consent pages, and `signInAt`, which goes through them over HTTP as a browser would (its
 * own cookie jar, following redirects, posting the forms) until the provider sends the person back to
 * the page's redirect URL: that URL, with its code and state, is what the page's callback receives.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Provider } from 'oidc-provider';

export interface TestAccount {
  email: string;
  emailVerified: boolean;
}

export interface TestProvider {
  issuer: string;
  close(): Promise<void>;
}

export interface TestClient {
  clientId: string;
  clientSecret: string;
  redirectUrl: string;
}

/** `idTokenClaims`: put the email in the ID token itself rather than only in userinfo (oidc-provider's default). */
export async function startTestProvider(
  client: TestClient,
  accounts: ReadonlyMap<string, TestAccount>,
  options: { idTokenClaims?: boolean } = {},
): Promise<TestProvider> {
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => handle(req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: [client.redirectUrl],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    async findAccount(_ctx, sub) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ sub, email: account.email, email_verified: account.emailVerified }) };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    cookies: { keys: ['test-only-cookie-key'] },
    conformIdTokenClaims: options.idTokenClaims !== true,
    features: { devInteractions: { enabled: true } },
    // Seconds; set so the provider does not print a notice for each default it falls back to.
    ttl: { Interaction: 600, Session: 600, Grant: 600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
  });
  // Koa logs server errors to stderr by default; the tests read refusals from responses instead.
  provider.on('server_error', () => undefined);
  handle = provider.callback();
  return {
    issuer,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/**
 * Follows `authorizationUrl` through the provider's login (as `login`, any password) and consent, and
 * returns the URL the provider redirects to at `redirectUrl`. Throws, with the page, if it ends elsewhere.
 */
export async function signInAt(authorizationUrl: string, redirectUrl: string, login: string): Promise<URL> {
  const jar = new Map<string, string>();
  let request: { url: string; form?: URLSearchParams } = { url: authorizationUrl };
  for (let step = 0; step < 12; step++) {
    const response = await fetch(request.url, {
      method: request.form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(request.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(request.form ? { body: request.form.toString() } : {}),
    });
    keepCookies(jar, response);
    const location = response.headers.get('location');
    if (location !== null) {
      const next = new URL(location, request.url);
      if (next.href.startsWith(redirectUrl)) return next;
      request = { url: next.href };
      continue;
    }
    const page = await response.text();
    const form = /<form[^>]*action="([^"]+)"[^>]*method="post"/.exec(page);
    if (!form?.[1]) throw new Error(`the provider stopped at ${response.status}: ${page.slice(0, 600)}`);
    const fields = new URLSearchParams();
    for (const input of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) fields.set(input[1]!, input[2]!);
    if (fields.get('prompt') === 'login') {
      fields.set('login', login);
      fields.set('password', 'any password: the development login checks none');
    }
    request = { url: new URL(form[1].replaceAll('&amp;', '&'), request.url).href, form: fields };
  }
  throw new Error('the provider did not send the person back within 12 steps');
}

function keepCookies(jar: Map<string, string>, response: Response): void {
  for (const header of response.headers.getSetCookie()) {
    const [pair = ''] = header.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (value === '' || /expires=Thu, 01 Jan 1970/i.test(header)) jar.delete(name);
    else jar.set(name, value);
  }
}
