/**
 * The `approvals_page:` section of the operator policy (docs/approvals.md): the gateway key the page
 * signs with (its principal must be one of the policy's `gateways`), the local users with their
 * scrypt hashes and principals, how long a session lasts, and OIDC sign-in (worker/oidc-policy.ts).
 */
import { dirname, isAbsolute, join } from 'node:path';
import type { Diagnostics } from '../dsl/diagnostics';
import { parsePasswordHash, type PasswordHash } from '../approvals/web/passwords';
import type { RawOperatorPolicy } from './operator-policy-schema';
import { parseOidcPolicy, type OidcPolicy } from './oidc-policy';

export interface ApprovalsPageUser {
  name: string;
  principal: string;
  password: PasswordHash;
}

export interface ApprovalsPagePolicy {
  gateway: { principal: string; signingKeyFile: string };
  /** By user name; a Map, so a user called `constructor` finds nothing it should not. */
  users: ReadonlyMap<string, ApprovalsPageUser>;
  sessionMinutes: number;
  oidc?: OidcPolicy;
}

export const DEFAULT_SESSION_MINUTES = 60;

export function approvalsPagePolicyOf(raw: RawOperatorPolicy, policyFile: string, diag: Diagnostics): ApprovalsPagePolicy | undefined {
  const section = raw.approvals_page;
  if (!section) return undefined;
  const gateways = new Set((raw.gateways ?? []).map((g) => g.principal));
  if (!gateways.has(section.gateway.principal)) {
    const known = gateways.size > 0 ? `the gateways listed: ${[...gateways].join(', ')}` : 'the policy lists no gateways';
    diag.error(
      ['approvals_page', 'gateway', 'principal'],
      `"${section.gateway.principal}" must be a principal under gateways (with the users it vouches_for); ${known}`,
    );
  }
  const users = new Map<string, ApprovalsPageUser>();
  for (const [name, user] of Object.entries(section.users ?? {})) {
    const password = parsePasswordHash(user.password_scrypt);
    if (typeof password === 'string') {
      diag.error(['approvals_page', 'users', name, 'password_scrypt'], password);
      continue;
    }
    users.set(name, { name, principal: user.principal ?? name, password });
  }
  const keyFile = section.gateway.signing_key_file;
  const oidc = section.oidc === undefined ? undefined : parseOidcPolicy(section.oidc, ['approvals_page', 'oidc'], policyFile, diag);
  // With a provider, sign-in goes through it only; users beside it would be passwords nobody checks.
  if (section.oidc !== undefined && section.users !== undefined)
    diag.error(
      ['approvals_page', 'users'],
      'local users are not signed in when approvals_page.oidc is set (sign-in goes through the provider only); remove one of them',
    );
  return {
    gateway: { principal: section.gateway.principal, signingKeyFile: isAbsolute(keyFile) ? keyFile : join(dirname(policyFile), keyFile) },
    users,
    sessionMinutes: section.session_minutes ?? DEFAULT_SESSION_MINUTES,
    ...(oidc ? { oidc } : {}),
  };
}
