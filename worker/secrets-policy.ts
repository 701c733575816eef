/**
 * The operator policy's `secrets:` section (docs/secrets.md): each name runbooks may reference as
 * `{ secret: NAME }`, and where its value lives. Unlike prometheus credentials, nothing is read here:
 * values are read by the activity at the moment a step needs them (activities/secrets/), so a rotated
 * Secret is picked up and the value never sits in the worker's policy. A relative file is relative
 * to the policy file's folder.
 */
import { dirname, isAbsolute, join } from 'node:path';
import type { SecretSource, SecretSources } from '../activities/secrets/sources';
import type { Diagnostics } from '../dsl/diagnostics';
import type { RawOperatorPolicy } from './operator-policy-schema';

const SOURCE_KEYS = ['env', 'file', 'kubernetes'] as const;

export function secretSourcesOf(raw: RawOperatorPolicy, policyFile: string, diag: Diagnostics): SecretSources {
  const sources = new Map<string, SecretSource>();
  for (const [name, entry] of Object.entries(raw.secrets ?? {})) {
    const path = ['secrets', name];
    const given = SOURCE_KEYS.filter((key) => entry[key] !== undefined);
    if (given.length !== 1) {
      const found = given.length === 0 ? 'none' : given.join(' and ');
      diag.error(path, `expected exactly one source of env: VARIABLE, file: PATH or kubernetes: { namespace, name, key }, found ${found}`);
      continue;
    }
    if (entry.env !== undefined) sources.set(name, { kind: 'env', variable: entry.env });
    else if (entry.file !== undefined) {
      const file = isAbsolute(entry.file) ? entry.file : join(dirname(policyFile), entry.file);
      sources.set(name, { kind: 'file', path: file });
    } else if (entry.kubernetes !== undefined) sources.set(name, { kind: 'kubernetes', ...entry.kubernetes });
  }
  return sources;
}
