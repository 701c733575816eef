/**
 * Reading a statement back, strictly: a statement is either exactly what remediate makes (the keys
 * of its shape, each value checked, no duplicate keys, well-formed Unicode) or it is refused.
 */
import type { Parsed } from './sshsig';
import type { ApprovalStatement, SubmissionStatement } from './types';

export const MAX_STATEMENT_CHARS = 8192;

const MAX_ID_CHARS = 256;
const MAX_REASON_CHARS = 2000;
const PRINCIPAL = /^[A-Za-z0-9._@+-]{1,128}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Controls other than tab, newline and carriage return, which a multi-line reason may hold. */
const CONTROL_IN_REASON = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
/** In `u` mode a surrogate pair is one code point, so this matches only lone surrogates. */
const LONE_SURROGATE = /\p{Surrogate}/u;

type FieldCheck = (value: unknown) => string | undefined;

interface StatementShape {
  kind: string;
  required: Record<string, FieldCheck>;
  optional: Record<string, FieldCheck>;
}

const literal =
  (expected: unknown): FieldCheck =>
  (value) =>
    value === expected ? undefined : `must be ${JSON.stringify(expected)}`;

const id: FieldCheck = (value) => {
  if (typeof value !== 'string' || value === '') return 'must be a non-empty string';
  if (value.length > MAX_ID_CHARS) return `must be at most ${MAX_ID_CHARS} characters`;
  return CONTROL.test(value) ? 'must not contain control characters' : undefined;
};

const sha256Hex: FieldCheck = (value) =>
  typeof value === 'string' && SHA256_HEX.test(value) ? undefined : 'must be 64 lowercase hex digits (a sha256)';

const principal: FieldCheck = (value) =>
  typeof value === 'string' && PRINCIPAL.test(value) ? undefined : 'must be 1-128 letters, digits or . _ @ + -';

const reason: FieldCheck = (value) => {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length > MAX_REASON_CHARS) return `must be at most ${MAX_REASON_CHARS} characters`;
  return CONTROL_IN_REASON.test(value) ? 'must not contain control characters other than tab and newline' : undefined;
};

const timestamp: FieldCheck = (value) =>
  typeof value === 'string' && isoTimestampMs(value) !== undefined
    ? undefined
    : 'must be an ISO 8601 timestamp such as 2025-01-31T12:00:00Z';

const APPROVAL: StatementShape = {
  kind: 'remediate.approval',
  required: {
    kind: literal('remediate.approval'),
    version: literal(1),
    verdict: (value) => (value === 'approve' || value === 'reject' ? undefined : 'must be "approve" or "reject"'),
    incidentId: id,
    workflowId: id,
    runId: id,
    planHash: sha256Hex,
    reason,
    at: timestamp,
  },
  optional: { principal, onBehalfOf: principal },
};

const SUBMISSION: StatementShape = {
  kind: 'remediate.submission',
  required: { kind: literal('remediate.submission'), version: literal(1), incidentId: id, incidentSha256: sha256Hex, at: timestamp },
  optional: {},
};

export function parseApprovalStatement(text: string): Parsed<ApprovalStatement> {
  return parseStatement(text, APPROVAL) as Parsed<ApprovalStatement>;
}

export function parseSubmissionStatement(text: string): Parsed<SubmissionStatement> {
  return parseStatement(text, SUBMISSION) as Parsed<SubmissionStatement>;
}

function parseStatement(text: string, shape: StatementShape): Parsed<Record<string, unknown>> {
  const fail = (error: string) => ({ ok: false as const, error });
  if (typeof text !== 'string') return fail('the statement must be text');
  if (text.length > MAX_STATEMENT_CHARS)
    return fail(`the statement is ${text.length} characters; at most ${MAX_STATEMENT_CHARS} are accepted`);
  // A lone surrogate is signed as U+FFFD, so two different texts would share one signature.
  if (LONE_SURROGATE.test(text)) return fail('the statement is not well-formed Unicode');
  const json = parseJson(text);
  if (!json.ok) return json;
  const value = json.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('the statement must be a JSON object');
  const object = value as Record<string, unknown>;
  if (object.kind !== shape.kind) return fail(`not a ${shape.kind} statement (kind ${JSON.stringify(clip(String(object.kind)))})`);
  // Object.hasOwn, not `in`: "toString" or "__proto__" must be unknown keys, not inherited ones.
  const unknown = Object.keys(object).find((key) => !Object.hasOwn(shape.required, key) && !Object.hasOwn(shape.optional, key));
  if (unknown !== undefined) return fail(`unknown key ${JSON.stringify(clip(unknown))}`);
  const missing = Object.keys(shape.required).find((key) => !Object.hasOwn(object, key));
  if (missing !== undefined) return fail(`missing ${missing}`);
  for (const [key, check] of [...Object.entries(shape.required), ...Object.entries(shape.optional)]) {
    if (!Object.hasOwn(object, key)) continue;
    const error = check(object[key]);
    if (error) return fail(`${key} ${error}`);
  }
  // Escaped (\ud800) lone surrogates too: such a value cannot be written out as UTF-8 faithfully.
  if (Object.values(object).some((v) => typeof v === 'string' && LONE_SURROGATE.test(v)))
    return fail('the statement is not well-formed Unicode');
  // Only now, with every value a string or number, is a flat scan for keys sound.
  const duplicate = duplicateKey(text);
  if (duplicate !== undefined) return fail(`key ${JSON.stringify(duplicate)} appears twice`);
  return { ok: true, value: object };
}

function parseJson(text: string): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    // Not the engine's message: it may change between Node versions, and reasons must replay the same.
    return { ok: false, error: 'not JSON' };
  }
}

/**
 * JSON.parse keeps the last of two equal keys, and another reader might keep the first: the signer
 * would have signed something ambiguous. In a flat object of strings and numbers every string token
 * followed by a colon is a key.
 */
function duplicateKey(text: string): string | undefined {
  const seen = new Set<string>();
  for (const match of text.matchAll(/"(?:[^"\\]|\\.)*"\s*(:?)/g)) {
    if (!match[1]) continue;
    const key = JSON.parse(match[0].slice(0, match[0].lastIndexOf('"') + 1)) as string;
    if (seen.has(key)) return key;
    seen.add(key);
  }
  return undefined;
}

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Milliseconds since the epoch of an ISO 8601 timestamp with a zone (Z or ±HH:MM), or undefined.
 * By hand, not Date.parse: Date.parse accepts engine-specific forms and rolls Feb 30 over to March.
 */
export function isoTimestampMs(text: string): number | undefined {
  const match = ISO_8601.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const fraction = Number((match[7] ?? '0').padEnd(3, '0').slice(0, 3));
  const local = Date.UTC(year, month - 1, day, hour, minute, second, fraction);
  const date = new Date(local);
  // Round-tripping catches day 31 of a short month, month 13, and years below 100 (which Date.UTC shifts by 1900).
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  )
    return undefined;
  const zone = match[8]!;
  if (zone === 'Z') return local;
  const [zoneHours, zoneMinutes] = zone.slice(1).split(':').map(Number) as [number, number];
  if (zoneHours > 23 || zoneMinutes > 59) return undefined;
  return local - (zone.startsWith('-') ? -1 : 1) * (zoneHours * 60 + zoneMinutes) * 60_000;
}

export const clip = (text: string): string => (text.length > 80 ? `${text.slice(0, 80)}…` : text);
