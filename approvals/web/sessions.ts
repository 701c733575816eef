/**
 * Signed-in sessions, in memory (a restart signs everyone out): a 32-byte random id in the cookie,
 * a 32-byte CSRF token for the forms (a synchronizer token: it lives only here and in the page),
 * an expiry, and logout. Ids are looked up in a Map, never compared by hand.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface Session {
  id: string;
  /** The principal it signs for. */
  principal: string;
  /** Who signed in (a local user name, an OIDC subject's mapping). */
  user: string;
  csrfToken: string;
  expiresAtMs: number;
  /** What a decision answered, shown once by the page the browser is redirected to (post/redirect/get). */
  flash?: { incidentId: string; kind: 'ok' | 'refused'; text: string };
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly lifetimeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  create(user: string, principal: string): Session {
    this.sweep();
    const session: Session = {
      id: randomBytes(32).toString('base64url'),
      principal,
      user,
      csrfToken: randomBytes(32).toString('base64url'),
      expiresAtMs: this.now() + this.lifetimeMs,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id; an expired one is forgotten. */
  get(id: string | undefined): Session | undefined {
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAtMs <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return session;
  }

  destroy(id: string): void {
    this.sessions.delete(id);
  }

  get lifetimeSeconds(): number {
    return Math.floor(this.lifetimeMs / 1000);
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, session] of this.sessions) if (session.expiresAtMs <= now) this.sessions.delete(id);
  }
}

/** The form's token against the session's, in constant time; a missing one never matches. */
export function csrfMatches(session: Session, submitted: string | undefined): boolean {
  if (submitted === undefined) return false;
  const expected = Buffer.from(session.csrfToken);
  const given = Buffer.from(submitted);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
