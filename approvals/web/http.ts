/** The page's HTTP plumbing: security headers on every answer, the session cookie, form bodies. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBodyWithin } from '../../intake/limits';
import type { Html } from './html';

export const SESSION_COOKIE = 'remediate_session';
/** Forms are small: a reason, a hash, a token. */
const MAX_FORM_BYTES = 16 * 1024;

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
};

export function sendHtml(response: ServerResponse, status: number, page: Html, extra: Record<string, string | string[]> = {}): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', ...extra });
  response.end(page.text);
}

export function redirect(response: ServerResponse, location: string, extra: Record<string, string | string[]> = {}): void {
  response.writeHead(303, { ...SECURITY_HEADERS, location, ...extra });
  response.end();
}

export function sendCss(response: ServerResponse, css: string): void {
  response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/css; charset=utf-8', 'cache-control': 'max-age=300' });
  response.end(css);
}

export function sessionCookie(id: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

export function clearedCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${secure ? '; Secure' : ''}`;
}

/** The session cookie's value; the last one wins, as a Map of the header's pairs would. */
export function sessionIdOf(request: IncomingMessage): string | undefined {
  return cookieOf(request, SESSION_COOKIE);
}

/** A cookie's value by name; the last one wins. */
export function cookieOf(request: IncomingMessage, name: string): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  let found: string | undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) found = part.slice(eq + 1).trim();
  }
  return found;
}

/** An urlencoded form, or undefined when it is too large, cut short or of another type. */
export async function readForm(request: IncomingMessage): Promise<URLSearchParams | undefined> {
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/x-www-form-urlencoded\s*(?:;.*)?$/i.test(type)) return undefined;
  const read = await readBodyWithin(request, MAX_FORM_BYTES);
  return read.kind === 'ok' ? new URLSearchParams(read.body.toString('utf8')) : undefined;
}

/** The one value of a field; a field given twice is no value (no guessing which one counts). */
export function field(form: URLSearchParams, name: string): string | undefined {
  const all = form.getAll(name);
  return all.length === 1 ? all[0] : undefined;
}
