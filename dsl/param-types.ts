/** The types a runbook declares for its context fields: what each accepts, and how to say so. */
import type { ParamDecl, ParamType } from './types';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const EXPECTED: Record<ParamType, string> = {
  string: 'a string',
  int: 'an integer',
  number: 'a number',
  bool: 'true or false',
  dns_label: 'a DNS label (lowercase letters, digits and "-", at most 63 characters)',
  dns_subdomain: 'a DNS subdomain (lowercase DNS labels joined by ".", at most 253 characters)',
};

export function fitsParamType(type: ParamType, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'int':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'bool':
      return typeof value === 'boolean';
    case 'dns_label':
      return typeof value === 'string' && value.length <= 63 && DNS_LABEL.test(value);
    case 'dns_subdomain':
      return (
        typeof value === 'string' && value.length <= 253 && value.split('.').every((label) => label.length <= 63 && DNS_LABEL.test(label))
      );
  }
}

export function describeDecl(decl: ParamDecl): string {
  return decl.description ? `${EXPECTED[decl.type]}: ${decl.description}` : EXPECTED[decl.type];
}
