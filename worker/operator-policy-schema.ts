/**
 * The operator policy file's format, as one typed definition (dsl/schema-builder.ts): every object
 * is closed, so a misspelt key is an error rather than a silently dropped setting. Rules that need
 * more than one field (group references, gateway principals, time zones) are checked by the loader.
 */
import { arr, int, obj, record, str, strEnum, type Static } from '../dsl/schema-builder';

/** As allowed_signers (dsl/trust/allowed-signers.ts) accepts them. */
export const PRINCIPAL_PATTERN = '^[A-Za-z0-9._@+-]{1,128}$';
export const GROUP_NAME_PATTERN = '^[A-Za-z0-9_.-]+$';
const APPROVER_PATTERN = '^(?:group:[A-Za-z0-9_.-]+|[A-Za-z0-9._@+-]{1,128})$';
const TIME_PATTERN = '^(?:[01][0-9]|2[0-3]):[0-5][0-9]$';
const URL_PATTERN = '^https?://';

export const OPERATOR_POLICY_PATTERNS: Record<string, string> = {
  [PRINCIPAL_PATTERN]: 'a principal name (1-128 letters, digits or . _ @ + -)',
  [GROUP_NAME_PATTERN]: 'a group name (letters, digits or _ . -)',
  [APPROVER_PATTERN]: 'a principal name or group:NAME',
  [TIME_PATTERN]: 'a time "HH:MM" (00:00 to 23:59)',
  [URL_PATTERN]: 'an http:// or https:// URL',
};

/** Upper bounds only keep the arithmetic (minutes to milliseconds) far from overflow. */
const count = () => int({ minimum: 1, maximum: 1_000_000 });
const principal = () => str({ pattern: PRINCIPAL_PATTERN });
const approver = () => str({ pattern: APPROVER_PATTERN });

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

const changeWindow = obj(
  {
    name: str({ minLength: 1 }),
    time_zone: str({ minLength: 1 }),
    days: arr(strEnum(WEEKDAYS), { minItems: 1, uniqueItems: true }),
    start: str({ pattern: TIME_PATTERN }),
    end: str({ pattern: TIME_PATTERN }),
    // A window that applies to nothing restricts nothing: almost certainly a mistake, so refused.
    applies_to: obj(
      {
        risks: arr(strEnum(['LOW', 'MEDIUM', 'HIGH']), { minItems: 1 }),
        runbooks: arr(str({ minLength: 1 }), { minItems: 1 }),
      },
      { minProperties: 1 },
    ),
    outside: strEnum(['wait', 'approval']),
  },
  { required: ['start', 'end', 'applies_to'] },
);

const policyFile = obj({
  limits: obj({ max_concurrent: count(), max_services: count() }),
  failure_budget: obj({ max_failures: count(), window_minutes: count() }),
  change_windows: arr(changeWindow),
  approvers: obj({
    default: arr(approver()),
    groups: record(arr(principal(), { minItems: 1 }), { keyPattern: GROUP_NAME_PATTERN }),
  }),
  allowed_signers: str({ minLength: 1 }),
  statement_max_age_minutes: int({ minimum: 1, maximum: 1440 }),
  gateways: arr(obj({ principal: principal(), vouches_for: arr(approver(), { minItems: 1 }) }, { required: ['principal', 'vouches_for'] })),
  web_ui_url: str({ pattern: URL_PATTERN }),
  // Shells and program launchers runbooks may name as a program (by basename or exact path); none by default.
  allowed_programs: arr(str({ minLength: 1, maxLength: 4096 })),
  prometheus: obj({
    // PromQL replacing the standard library's query of a Prometheus check, by check name (dsl/check-queries.ts).
    check_queries: record(str({ minLength: 1, maxLength: 4096 })),
  }),
});

export type RawOperatorPolicy = Static<typeof policyFile>;
export const operatorPolicySchema = policyFile.schema;
