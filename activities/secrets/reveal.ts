/**
 * Putting secret values into a rendered step, inside the activity only: each `{ secret: NAME }` in an
 * exec step's argv and env and an http step's headers and query becomes its value, read now. What comes
 * back also lists the values used, so the result can be redacted before it leaves the activity.
 */
import { isResolvedSecret } from '../../dsl/secret-ref';
import type { ResolvedExecutor, ResolvedText } from '../../dsl/types';
import type { RevealedSecrets } from './redact';
import type { ReadSecret } from './sources';

export interface Revealed {
  /** The step with every reference replaced by its value: never stored, logged or returned. */
  spec: ResolvedExecutor;
  secrets: RevealedSecrets;
}

/** Throws SecretUnavailableError (its message names the secret and source) when a value cannot be read. */
export async function revealSecrets(spec: ResolvedExecutor, read: ReadSecret): Promise<Revealed> {
  const secrets = new Map<string, string>();
  const reveal = async (value: ResolvedText): Promise<string> => {
    if (!isResolvedSecret(value)) return value;
    const known = secrets.get(value.secret);
    if (known !== undefined) return known;
    const secret = await read(value.secret);
    secrets.set(value.secret, secret);
    return secret;
  };
  const revealMap = async (values: Record<string, ResolvedText>): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(values)) out[key] = await reveal(value);
    return out;
  };
  switch (spec.executor) {
    case 'exec': {
      const argv: string[] = [];
      for (const arg of spec.argv) argv.push(await reveal(arg));
      return { spec: { ...spec, argv, env: await revealMap(spec.env) }, secrets };
    }
    case 'http': {
      const revealed = { ...spec, headers: await revealMap(spec.headers) };
      if (spec.query !== undefined) revealed.query = await revealMap(spec.query);
      return { spec: revealed, secrets };
    }
    case 'kubernetes':
    case 'prometheus':
      return { spec, secrets };
  }
}

/** A value of a revealed spec: a reference still there means the spec skipped revealSecrets, a bug that must not send a name as a value. */
export function plainText(value: ResolvedText): string {
  if (isResolvedSecret(value)) throw new Error(`secret:${value.secret} reached an executor unresolved`);
  return value;
}
