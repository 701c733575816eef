/**
 * Submitting an incident to `remediate serve` over HTTP, as a source authenticated by its bearer
 * token: the path `remediate watch` (and any other out-of-process source) uses, so its incidents get
 * the same validation, rate limits and submitter identity as every other intake.
 *
 * Retries are safe because the incident id names the remediation: a repeat attaches. It retries what
 * may succeed later (a connection error, 429 after its Retry-After, 502/503/504) a bounded number of
 * times, and never a refusal of the request itself (400, 401, 403, 413, 415).
 */
import { UserFacingError, EXIT } from '../dsl/user-facing-error';
import type { Incident } from '../dsl/types';

export interface IntakeTarget {
  /** Base URL of `remediate serve`, e.g. http://127.0.0.1:8080. */
  url: string;
  /** The source's bearer token (the policy stores only its sha256). */
  token: string;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  /** Attempts in all, for answers that may succeed later; default 5. */
  attempts?: number;
  /** Longest wait between attempts (a larger Retry-After is capped); default 30 s. */
  maxDelayMs?: number;
}

export interface IntakeAnswer {
  workflowId: string;
  attached: boolean;
}

/** The intake refused the incident itself: retrying the same request cannot help. */
export class IntakeRefusedError extends UserFacingError {
  override readonly name = 'IntakeRefusedError';
  readonly exitCode = EXIT.USAGE;
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The intake could not be reached or kept failing: the incident was not (known to be) submitted. */
export class IntakeUnavailableError extends UserFacingError {
  override readonly name = 'IntakeUnavailableError';
  readonly exitCode = EXIT.UNREACHABLE;
}

const RETRYABLE = new Set([429, 502, 503, 504]);
/** How much of an error answer goes into a message: enough for the field and reason, never a flood. */
const MAX_REASON_CHARS = 500;

export async function postIncident(target: IntakeTarget, incident: Incident): Promise<IntakeAnswer> {
  const endpoint = new URL('/v1/incidents', target.url);
  const attempts = Math.max(1, target.attempts ?? 5);
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let response: Response;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(incident),
        signal: AbortSignal.timeout(target.timeoutMs ?? 10_000),
        redirect: 'error', // a token is never sent on to another host
      });
    } catch (error) {
      last = `cannot reach ${endpoint.origin}: ${error instanceof Error ? error.message : String(error)}`;
      if (attempt < attempts) await pause(backoffMs(attempt, target));
      continue;
    }
    const text = (await response.text()).slice(0, MAX_REASON_CHARS);
    if (response.status === 200 || response.status === 202) return answerOf(text, response.status);
    last = `${endpoint.origin} answered ${response.status}: ${reasonOf(text)}`;
    if (!RETRYABLE.has(response.status)) throw new IntakeRefusedError(response.status, `incident ${incident.id} refused: ${last}`);
    if (attempt < attempts) await pause(retryAfterMs(response.headers.get('retry-after'), target) ?? backoffMs(attempt, target));
  }
  throw new IntakeUnavailableError(`incident ${incident.id} not submitted after ${attempts} attempts: ${last}`);
}

function answerOf(text: string, status: number): IntakeAnswer {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new IntakeUnavailableError(`the intake answered ${status} without JSON: ${text}`);
  }
  const workflowId = typeof body === 'object' && body !== null && 'workflowId' in body ? body.workflowId : undefined;
  if (typeof workflowId !== 'string') throw new IntakeUnavailableError(`the intake answered ${status} without a workflowId: ${text}`);
  return { workflowId, attached: status === 200 };
}

/** The error answer's `error` field when it has one, else its text. */
function reasonOf(text: string): string {
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === 'object' && body !== null && 'error' in body && typeof body.error === 'string') return body.error;
  } catch {
    // not JSON: the text itself
  }
  return text || '(no body)';
}

function retryAfterMs(header: string | null, target: IntakeTarget): number | undefined {
  if (header === null || !/^\d{1,6}$/.test(header.trim())) return undefined;
  return Math.min(Number(header.trim()) * 1000, target.maxDelayMs ?? 30_000);
}

function backoffMs(attempt: number, target: IntakeTarget): number {
  return Math.min(500 * 2 ** (attempt - 1), target.maxDelayMs ?? 30_000);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
