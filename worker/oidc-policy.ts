/** Stub until helper O's OIDC policy parser is merged (the main session takes O's file). */
import type { Diagnostics } from '../dsl/diagnostics';

export interface OidcPolicy {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUrl: string;
  claim: string;
  principals: ReadonlyMap<string, string>;
}

export function parseOidcPolicy(raw: unknown, at: (string | number)[], file: string, diag: Diagnostics): OidcPolicy | undefined {
  void raw;
  void at;
  void file;
  void diag;
  return undefined;
}
