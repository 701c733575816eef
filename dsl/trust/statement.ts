/**
 * Signed statements: what an approver or a submitter signs (canonical JSON), how it is read back
 * (strictly: a statement is either exactly what remediate makes or it is refused), and how a signed
 * statement that arrived as untrusted data is verified against the operator's trust policy.
 * Pure and deterministic, for workflow code: the time is passed in, errors are values.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { principalsFor, whyNoPrincipals } from './allowed-signers';
import { bytesOf, fingerprint, parseSignature, verifySignature, type Parsed, type SshSignature } from './sshsig';
import {
  SIGNATURE_NAMESPACE,
  type ApprovalStatement,
  type SignedStatement,
  type SubmissionStatement,
  type TrustPolicy,
  type Verified,
} from './types';

export const MAX_STATEMENT_CHARS = 8192;
export const MAX_SIGNATURE_CHARS = 4096;
/** Clock skew tolerated between the signer's machine and the worker. */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;

const MAX_ID_CHARS = 256;
const MAX_REASON_CHARS = 2000;
const PRINCIPAL = /^[A-Za-z0-9._@+-]{1,128}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Controls other than tab, newline and carriage return, which a multi-line reason may hold. */
const CONTROL_IN_REASON = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
/** In `u` mode a surrogate pair is one code point, so this matches only lone surrogates. */
const LONE_SURROGATE = /\p{Surrogate}/u;

// ---------------------------------------------------------------------------------------------
// Canonical JSON

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

// ---------------------------------------------------------------------------------------------
// Reading statements

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

// ---------------------------------------------------------------------------------------------
// Verifying signed statements

export interface ApprovalExpectation {
  incidentId: string;
  workflowId: string;
  runId: string;
  planHash: string;
  nowMs: number;
}

type Refusal = { ok: false; reason: string };
const refuse = (reason: string): Refusal => ({ ok: false, reason });

/** The signer of a statement whose signature verified, with the principals allowed_signers gives its key. */
interface SigningKey {
  fingerprint: string;
  principals: string[];
}

/** Verifies an approval that arrived as untrusted data (an Update's argument) for this run and plan. */
export function verifyApproval(signed: unknown, expect: ApprovalExpectation, trust: TrustPolicy): Verified<ApprovalStatement> {
  const envelope = readEnvelope(signed);
  if (!envelope.ok) return envelope;
  const parsed = parseApprovalStatement(envelope.statement);
  if (!parsed.ok) return refuse(`malformed statement: ${parsed.error}`);
  const statement = parsed.value;
  const key = signingKey(envelope, trust, expect.nowMs);
  if (!key.ok) return key;
  const approver = approverOf(statement, key, trust);
  if (!approver.ok) return approver;
  const mismatch = bindingMismatch(statement, expect);
  if (mismatch) return refuse(mismatch);
  const stale = timeProblem(statement.at, trust.statementMaxAgeMs, expect.nowMs);
  if (stale) return refuse(stale);
  if (statement.verdict === 'reject' && statement.reason.trim() === '') return refuse('a rejection must give a reason');
  return { ok: true, principal: approver.principal, ...(approver.via === undefined ? {} : { via: approver.via }), statement };
}

/** Verifies a submission that arrived as untrusted data against the incident it is meant to sign. */
export function verifySubmission(signed: unknown, incident: unknown, trust: TrustPolicy, nowMs: number): Verified<SubmissionStatement> {
  const envelope = readEnvelope(signed);
  if (!envelope.ok) return envelope;
  const parsed = parseSubmissionStatement(envelope.statement);
  if (!parsed.ok) return refuse(`malformed statement: ${parsed.error}`);
  const statement = parsed.value;
  const key = signingKey(envelope, trust, nowMs);
  if (!key.ok) return key;
  if (key.principals.length > 1)
    return refuse(`the key ${key.fingerprint} has several principals (${key.principals.join(', ')}); a submitter's key must have one`);
  const incidentId = typeof incident === 'object' && incident !== null ? (incident as { id?: unknown }).id : undefined;
  if (typeof incidentId !== 'string') return refuse(`for incident ${clip(statement.incidentId)}, but the incident has no id`);
  if (statement.incidentId !== incidentId) return refuse(`for incident ${clip(statement.incidentId)}, not ${clip(incidentId)}`);
  const actual = incidentSha256(incident);
  if (statement.incidentSha256 !== actual)
    return refuse(
      `for incident content ${statement.incidentSha256.slice(0, 12)}, the incident's is ${actual.slice(0, 12)}: it differs from what was signed`,
    );
  const stale = timeProblem(statement.at, trust.statementMaxAgeMs, nowMs);
  if (stale) return refuse(stale);
  return { ok: true, principal: key.principals[0]!, statement };
}

function readEnvelope(signed: unknown): ({ ok: true } & Partial<SignedStatement> & { statement: string }) | Refusal {
  if (typeof signed !== 'object' || signed === null || Array.isArray(signed)) {
    return refuse(
      `malformed: expected {statement, signature}, got ${signed === null ? 'null' : Array.isArray(signed) ? 'an array' : `a ${typeof signed}`}`,
    );
  }
  const { statement, signature } = signed as Record<string, unknown>;
  if (statement === undefined) return refuse('malformed: no statement');
  if (typeof statement !== 'string') return refuse('malformed: statement must be a string');
  // An absent signature is not malformed but unsigned, which is reported after the statement is read.
  if (signature !== undefined && signature !== null && typeof signature !== 'string')
    return refuse('malformed: signature must be a string');
  if (statement.length > MAX_STATEMENT_CHARS)
    return refuse(`malformed: the statement is ${statement.length} characters; at most ${MAX_STATEMENT_CHARS} are accepted`);
  if (typeof signature === 'string' && signature.length > MAX_SIGNATURE_CHARS)
    return refuse(`malformed: the signature is ${signature.length} characters; at most ${MAX_SIGNATURE_CHARS} are accepted`);
  return typeof signature === 'string' ? { ok: true, statement, signature } : { ok: true, statement };
}

/** The signature's key, if the signature is over exactly this statement and allowed_signers lists the key now. */
function signingKey(
  envelope: Partial<SignedStatement> & { statement: string },
  trust: TrustPolicy,
  nowMs: number,
): ({ ok: true } & SigningKey) | Refusal {
  if (envelope.signature === undefined || envelope.signature.trim() === '') return refuse('unsigned');
  const signature = parseSignature(envelope.signature);
  if (!signature.ok) return refuse(`not an SSH signature: ${signature.error}`);
  const verified = verifySignature(signature.value, bytesOf(envelope.statement), SIGNATURE_NAMESPACE);
  if (!verified.ok)
    return refuse(
      signature.value.namespace === SIGNATURE_NAMESPACE
        ? verified.error
        : `wrong namespace: ${verified.error} (sign with ssh-keygen -Y sign -n ${SIGNATURE_NAMESPACE})`,
    );
  return listedKey(signature.value, trust, nowMs);
}

function listedKey(signature: SshSignature, trust: TrustPolicy, nowMs: number): ({ ok: true } & SigningKey) | Refusal {
  const print = fingerprint(signature.publicKey);
  const principals = principalsFor(trust.allowedSigners, signature.publicKey, SIGNATURE_NAMESPACE, nowMs);
  if (principals.length === 0)
    return refuse(`the key ${print} ${whyNoPrincipals(trust.allowedSigners, signature.publicKey, SIGNATURE_NAMESPACE, nowMs)}`);
  return { ok: true, fingerprint: print, principals };
}

/** Who approves: the key's principal, or the user a gateway vouches for. */
function approverOf(
  statement: ApprovalStatement,
  key: SigningKey,
  trust: TrustPolicy,
): { ok: true; principal: string; via?: string } | Refusal {
  const claimed = statement.principal;
  if (claimed !== undefined && !key.principals.includes(claimed)) {
    return refuse(
      `the statement claims principal ${claimed}, but allowed_signers gives the key ${key.fingerprint} only ${key.principals.join(', ')}`,
    );
  }
  const signer = claimed ?? (key.principals.length === 1 ? key.principals[0] : undefined);
  if (signer === undefined) return refuse(`the key has several principals; name one with principal (${key.principals.join(', ')})`);
  const gateway = trust.gateways.find((g) => g.principal === signer);
  const onBehalfOf = statement.onBehalfOf;
  if (onBehalfOf === undefined) {
    return gateway
      ? refuse(`${signer} is a gateway: a gateway must name the user it vouches for (onBehalfOf)`)
      : { ok: true, principal: signer };
  }
  if (!gateway) return refuse(`${signer} is not a gateway, so it may not sign on behalf of ${onBehalfOf}`);
  if (!gateway.vouchesFor.includes(onBehalfOf)) return refuse(`gateway ${signer} may not vouch for ${onBehalfOf}`);
  return { ok: true, principal: onBehalfOf, via: signer };
}

function bindingMismatch(statement: ApprovalStatement, expect: ApprovalExpectation): string | undefined {
  if (statement.incidentId !== expect.incidentId) return `for incident ${clip(statement.incidentId)}, not ${clip(expect.incidentId)}`;
  if (statement.workflowId !== expect.workflowId) return `for workflow ${clip(statement.workflowId)}, not ${clip(expect.workflowId)}`;
  if (statement.runId !== expect.runId) return `for run ${clip(statement.runId)}, not ${clip(expect.runId)}`;
  if (statement.planHash !== expect.planHash)
    return `for plan ${statement.planHash.slice(0, 12)}, the plan is now ${expect.planHash.slice(0, 12)}`;
  return undefined;
}

/** Too old (a replay) or from the future (a wrong clock); fails closed on a policy without a usable maximum age. */
function timeProblem(at: string, maxAgeMs: number, nowMs: number): string | undefined {
  if (!Number.isFinite(maxAgeMs) || maxAgeMs < 0) return 'the trust policy has no valid statementMaxAgeMs';
  if (!Number.isFinite(nowMs)) return 'the current time is not known';
  const ageMs = nowMs - isoTimestampMs(at)!;
  if (ageMs > maxAgeMs) return `signed ${Math.ceil(ageMs / 60_000)} min ago; statements older than ${minutes(maxAgeMs)} min are refused`;
  if (-ageMs > MAX_FUTURE_SKEW_MS)
    return `signed in the future (${Math.ceil(-ageMs / 60_000)} min ahead of this worker's clock; at most ${minutes(MAX_FUTURE_SKEW_MS)} min is tolerated)`;
  return undefined;
}

const minutes = (ms: number): number => Math.round(ms / 6_000) / 10;

const clip = (text: string): string => (text.length > 80 ? `${text.slice(0, 80)}…` : text);
