/**
 * Secret references (`{ secret: NAME }`, docs/secrets.md): how a runbook writes one, how the
 * compiled and rendered forms are told apart from text, and how every description shows one
 * (`secret:NAME`). Pure: the workflow renders with it; only activities read a value.
 */
import type { ExecutorSpec, ResolvedSecretRef, ResolvedText, SecretRef, TextOrSecret } from './types';

/** A secret's name in the operator policy and in runbooks. */
export const SECRET_NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_]{0,63}$';
const SECRET_NAME = new RegExp(SECRET_NAME_PATTERN);

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** A compiled value is a secret reference (a Template has no `kind`). */
export function isSecretRef(value: TextOrSecret): value is SecretRef {
  return 'kind' in value && value.kind === 'secret';
}

/** A rendered value is a secret reference; it may come from a decoded payload, so its shape is checked. */
export function isResolvedSecret(value: ResolvedText): value is ResolvedSecretRef {
  return typeof value === 'object' && value !== null && typeof value.secret === 'string';
}

/** How descriptions, plans, audit lines and redacted output show a secret: never its value. */
export function secretLabel(name: string): string {
  return `secret:${name}`;
}

/** A rendered value for people: its text, or `secret:NAME`. */
export function shownText(value: ResolvedText): string {
  return isResolvedSecret(value) ? secretLabel(value.secret) : value;
}

/** Whether a compiled spec uses secret references or `query:` (rules newer than the renderers in dsl/legacy). */
export function usesSecretsOrQuery(spec: ExecutorSpec): boolean {
  switch (spec.executor) {
    case 'exec':
      return [...spec.argv, ...Object.values(spec.env)].some(isSecretRef);
    case 'http':
      return spec.query !== undefined || Object.values(spec.headers).some(isSecretRef);
    case 'kubernetes':
    case 'prometheus':
      return false;
  }
}
