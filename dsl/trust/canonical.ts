/**
 * The canonical form of what is signed: JSON with sorted keys, so equal data always gives equal
 * text, and the sha256 of an incident that a submission statement binds to.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesOf } from './sshsig';
import type { ApprovalStatement, SubmissionStatement } from './types';

/**
 * JSON with object keys sorted at every level and no whitespace, so equal data always gives equal
 * text. Follows JSON.stringify for everything else (toJSON, undefined members dropped, NaN → null)
 * but never throws: a bigint is written as its digits and a cycle as null.
 */
export function canonicalJson(value: unknown): string {
  return encode(value, []) ?? 'null';
}

function encode(input: unknown, ancestors: object[]): string | undefined {
  const value = hasToJson(input) ? input.toJSON('') : input;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'bigint':
      return value.toString();
    case 'object':
      if (value === null || ancestors.includes(value)) return 'null';
      return Array.isArray(value)
        ? encodeArray(value, [...ancestors, value])
        : encodeObject(value as Record<string, unknown>, [...ancestors, value]);
    default:
      return undefined; // undefined, functions, symbols: absent, as in JSON.stringify
  }
}

function encodeArray(items: unknown[], ancestors: object[]): string {
  return `[${items.map((item) => encode(item, ancestors) ?? 'null').join(',')}]`;
}

function encodeObject(object: Record<string, unknown>, ancestors: object[]): string {
  const members: string[] = [];
  for (const key of Object.keys(object).sort()) {
    const encoded = encode(object[key], ancestors);
    if (encoded !== undefined) members.push(`${JSON.stringify(key)}:${encoded}`);
  }
  return `{${members.join(',')}}`;
}

function hasToJson(value: unknown): value is { toJSON(key: string): unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/** The exact text an approver signs. */
export function approvalStatementText(statement: ApprovalStatement): string {
  return canonicalJson(statement);
}

/** The exact text a submitter signs. */
export function submissionStatementText(statement: SubmissionStatement): string {
  return canonicalJson(statement);
}

/** Lowercase hex sha256 of the incident's canonical JSON: what a submission statement binds to. */
export function incidentSha256(incident: unknown): string {
  return hex(sha256(bytesOf(canonicalJson(incident))));
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}
