/**
 * Reading payloads back from a history: decoded with the SDK's default payload converter (the one
 * the workflow wrote them with), then checked against the schema of what they should be, so that
 * a malformed or foreign history is a clear error naming the event, never a value of the wrong type.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { formatPath } from '../dsl/describe';
import type { SchemaValidator } from '../dsl/schema-check';
import { EXIT, UserFacingError } from '../dsl/user-facing-error';

export type Payloads = { payloads?: Parameters<typeof defaultPayloadConverter.fromPayload>[0][] | null } | null | undefined;

/** A history that is not a remediation's, or is cut short. */
export class NotARemediationError extends UserFacingError {
  override readonly name: string = 'NotARemediationError';
  readonly exitCode = EXIT.USAGE;
}

/** A remediation's history with a payload that is not what its event should hold. */
export class MalformedHistoryError extends NotARemediationError {
  override readonly name = 'MalformedHistoryError';
  constructor(
    readonly eventId: string,
    what: string,
    problems: string,
  ) {
    super(`malformed history: event ${eventId}: expected ${what}: ${problems}`);
  }
}

/** Where a payload came from, for the error: the event, and what it should hold. */
export interface PayloadSource {
  eventId: string | number | { toString(): string } | null | undefined;
  /** What the payload should be, e.g. `the workflow input`, `a check request (runCheck input)`. */
  what: string;
}

/** The first payload decoded, unchecked: undefined when there is none. */
export function decodeFirst(payloads: Payloads): unknown {
  const first = payloads?.payloads?.[0];
  return first ? defaultPayloadConverter.fromPayload(first) : undefined;
}

/** The first payload, checked: a MalformedHistoryError when it is missing or not what `validate` accepts. */
export function decodeChecked<T>(payloads: Payloads, validate: SchemaValidator<T>, source: PayloadSource): T {
  const value = decodeValue(payloads, source);
  if (value === undefined) throw malformed(source, 'no payload');
  return check(value, validate, source);
}

/** As decodeChecked, but an absent payload (an activity that returned nothing) is undefined. */
export function decodeOptional<T>(payloads: Payloads, validate: SchemaValidator<T>, source: PayloadSource): T | undefined {
  const value = decodeValue(payloads, source);
  return value === undefined ? undefined : check(value, validate, source);
}

export function check<T>(value: unknown, validate: SchemaValidator<T>, source: PayloadSource): T {
  const result = validate(value);
  if (result.ok) return result.value;
  throw malformed(
    source,
    result.issues.map((issue) => `${issue.path.length > 0 ? `${formatPath(issue.path)}: ` : ''}${issue.message}`).join('; '),
  );
}

/** The first payload, not checked (for payloads shown, never read): a MalformedHistoryError only when it cannot be decoded. */
export function decodeValue(payloads: Payloads, source: PayloadSource): unknown {
  try {
    return decodeFirst(payloads);
  } catch (error) {
    throw malformed(source, `the payload cannot be decoded (${error instanceof Error ? error.message : String(error)})`);
  }
}

export function malformed(source: PayloadSource, problems: string): MalformedHistoryError {
  return new MalformedHistoryError(String(source.eventId ?? '?'), source.what, problems);
}
