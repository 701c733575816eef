/**
 * The operator policy file's format, as one typed definition (dsl/schema-builder.ts): every object
 * is closed, so a misspelt key is an error rather than a silently dropped setting. Rules that need
 * more than one field (group references, gateway principals, time zones) are checked by the loader.
 */
import { anyJson, arr, int, num, obj, record, str, strEnum, type Static } from '../dsl/schema-builder';
import { SECRET_NAME_PATTERN } from '../dsl/secret-ref';
import { PROMETHEUS_SERVER_PATTERN } from '../dsl/steps/prometheus';

/** As allowed_signers (dsl/trust/allowed-signers.ts) accepts them. */
export const PRINCIPAL_PATTERN = '^[A-Za-z0-9._@+-]{1,128}$';
export const GROUP_NAME_PATTERN = '^[A-Za-z0-9_.-]+$';
const APPROVER_PATTERN = '^(?:group:[A-Za-z0-9_.-]+|[A-Za-z0-9._@+-]{1,128})$';
const TIME_PATTERN = '^(?:[01][0-9]|2[0-3]):[0-5][0-9]$';
const URL_PATTERN = '^https?://';
const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
/** An HTTP auth scheme token (RFC 9110): `Bearer`, `Token`, ... */
const AUTH_SCHEME_PATTERN = "^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*$";
/** RFC 7617: the user-id of Basic auth holds no colon (and no control characters). */
const BASIC_USERNAME_PATTERN = '^[^:\\x00-\\x1f\\x7f]+$';
const DURATION_PATTERN = '^[0-9]+(ms|s|m|h)$';
/** `HOST:PORT` or `[IPV6]:PORT`: where `remediate serve` listens. */
export const LISTEN_PATTERN = '^(?:\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$';
const SHA256_HEX_PATTERN = '^[0-9a-f]{64}$';
/** The intake's route names a source may be allowed (intake/server.ts). */
export const INTAKE_ROUTE_NAMES = ['incidents', 'alertmanager', 'codec'] as const;
/** A Prometheus label name; annotations may be named anything, within reason. */
export const LABEL_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,127}$';
const RULE_NAME_PATTERN = '^[A-Za-z0-9_.-]{1,64}$';
const CONTEXT_FIELD_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,63}$';
const SLACK_USER_PATTERN = '^[UW][A-Z0-9]{1,31}$';
const SLACK_CHANNEL_PATTERN = '^[A-Z0-9]{2,32}$';
const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';
const DNS_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$';
const SECRET_KEY_PATTERN = '^[-._a-zA-Z0-9]{1,253}$';

export const OPERATOR_POLICY_PATTERNS: Record<string, string> = {
  [PRINCIPAL_PATTERN]: 'a principal name (1-128 letters, digits or . _ @ + -)',
  [GROUP_NAME_PATTERN]: 'a group name (letters, digits or _ . -)',
  [APPROVER_PATTERN]: 'a principal name or group:NAME',
  [TIME_PATTERN]: 'a time "HH:MM" (00:00 to 23:59)',
  [URL_PATTERN]: 'an http:// or https:// URL',
  [PROMETHEUS_SERVER_PATTERN]: 'a server name (1-63 letters, digits or _ . -, not starting with . or -)',
  [ENV_NAME_PATTERN]: 'an environment variable name (letters, digits, _)',
  [AUTH_SCHEME_PATTERN]: 'an HTTP auth scheme such as Bearer',
  [BASIC_USERNAME_PATTERN]: 'a user name without ":" or control characters',
  [DURATION_PATTERN]: 'a duration such as 500ms, 10s or 1m',
  [LISTEN_PATTERN]: 'HOST:PORT, such as 127.0.0.1:8080',
  [SHA256_HEX_PATTERN]: 'the sha256 of the token as 64 lowercase hex digits (printf %s "$TOKEN" | sha256sum)',
  [LABEL_NAME_PATTERN]: 'a label name (letters, digits and _, not starting with a digit)',
  [RULE_NAME_PATTERN]: 'a rule name (1-64 letters, digits or _ . -)',
  [CONTEXT_FIELD_PATTERN]: 'a context field name (letters, digits and _, not starting with a digit)',
  [SLACK_USER_PATTERN]: 'a Slack user id such as U012ABCDEF',
  [SLACK_CHANNEL_PATTERN]: 'a Slack channel id such as C012ABCDEF',
  [SECRET_NAME_PATTERN]: 'a secret name (a letter, then up to 63 letters, digits or _)',
  [DNS_LABEL_PATTERN]: 'a Kubernetes namespace name (lowercase letters, digits and -)',
  [SECRET_KEY_PATTERN]: 'a key of a Kubernetes Secret (letters, digits, -, _ and .)',
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

const secretFile = () => str({ minLength: 1, maxLength: 4096 });
const envName = () => str({ pattern: ENV_NAME_PATTERN });

/** Exactly one of authorization and basic_auth, and one source of its secret each: checked by the loader (worker/prometheus-policy.ts). */
const prometheusServer = obj(
  {
    url: str({ pattern: URL_PATTERN }),
    authorization: obj({ type: str({ pattern: AUTH_SCHEME_PATTERN }), credentials_file: secretFile(), credentials_env: envName() }),
    basic_auth: obj(
      { username: str({ pattern: BASIC_USERNAME_PATTERN }), password_file: secretFile(), password_env: envName() },
      { required: ['username'] },
    ),
    timeout: str({ pattern: DURATION_PATTERN }),
  },
  { required: ['url'] },
);

/** The servers prometheus steps query; siblings of `servers` configure the checks that use them. */
const prometheus = obj({
  default: str({ pattern: PROMETHEUS_SERVER_PATTERN }),
  servers: record(prometheusServer, { keyPattern: PROMETHEUS_SERVER_PATTERN }),
  // PromQL replacing the standard library's query of a Prometheus check, by check name (dsl/check-queries.ts).
  check_queries: record(str({ minLength: 1, maxLength: 4096 })),
});

/** A source that may post to `remediate serve` (docs/intake.md): its token only as a hash. */
const intakeSource = obj(
  {
    token_sha256: str({ pattern: SHA256_HEX_PATTERN }),
    rate_per_minute: count(),
    routes: arr(strEnum(INTAKE_ROUTE_NAMES), { minItems: 1, uniqueItems: true }),
    // An SSH private key whose principal in allowed_signers is this source's identity as a submitter.
    signing_key_file: secretFile(),
  },
  { required: ['token_sha256'] },
);

/** `remediate serve`'s HTTP intake (intake/server.ts). */
const intake = obj({
  listen: str({ pattern: LISTEN_PATTERN }),
  max_body_bytes: int({ minimum: 1024, maximum: 16 * 1024 * 1024 }),
  tls: obj({ cert_file: secretFile(), key_file: secretFile() }, { required: ['cert_file', 'key_file'] }),
  sources: record(intakeSource, { keyPattern: PRINCIPAL_PATTERN }),
});
/** Where a value comes from: exactly one of these keys (checked by the loader, worker/alertmanager-policy.ts). */
const valueSource = {
  label: str({ pattern: LABEL_NAME_PATTERN }),
  annotation: str({ minLength: 1, maxLength: 256 }),
  value: str({ minLength: 1, maxLength: 4096 }),
};

const alertmanagerRule = obj(
  {
    name: str({ pattern: RULE_NAME_PATTERN }),
    // Exact label values, and anchored regular expressions over label values: every one must hold.
    match: record(str({ maxLength: 4096 }), { keyPattern: LABEL_NAME_PATTERN }),
    match_re: record(str({ minLength: 1, maxLength: 4096 }), { keyPattern: LABEL_NAME_PATTERN }),
    root_cause: str({ minLength: 1, maxLength: 128 }),
    service: obj(valueSource),
    confidence: obj({ label: valueSource.label, annotation: valueSource.annotation, default: num({ minimum: 0, maximum: 1 }) }),
    context: record(obj({ ...valueSource, type: strEnum(['string', 'int', 'number', 'bool', 'dns_label', 'dns_subdomain']) }), {
      keyPattern: CONTEXT_FIELD_PATTERN,
    }),
  },
  { required: ['name', 'root_cause', 'service', 'confidence'] },
);

/** How POST /v1/alertmanager turns an alert into an incident (intake/alertmanager.ts); the first matching rule wins. */
const alertmanager = obj({ rules: arr(alertmanagerRule) });

/** The Slack app (worker/slack-policy.ts, docs/slack.md): Slack user ids map to principals the gateway vouches for. */
const slack = obj(
  {
    signing_secret_file: secretFile(),
    bot_token_file: secretFile(),
    channel: str({ pattern: SLACK_CHANNEL_PATTERN }),
    api_url: str({ pattern: URL_PATTERN }),
    gateway: obj({ principal: principal(), signing_key_file: secretFile() }, { required: ['principal', 'signing_key_file'] }),
    users: record(principal(), { keyPattern: SLACK_USER_PATTERN }),
  },
  { required: ['signing_secret_file', 'bot_token_file', 'channel', 'gateway'] },
);

/** The approvals page `remediate serve` serves (approvals/web/, worker/approvals-page-policy.ts). */
const approvalsPage = obj(
  {
    // The gateway the page signs as: a principal under `gateways`, and its SSH private key.
    gateway: obj({ principal: principal(), signing_key_file: secretFile() }, { required: ['principal', 'signing_key_file'] }),
    users: record(
      obj({ password_scrypt: str({ minLength: 1, maxLength: 512 }), principal: principal() }, { required: ['password_scrypt'] }),
      {
        keyPattern: PRINCIPAL_PATTERN,
      },
    ),
    session_minutes: int({ minimum: 1, maximum: 24 * 60 }),
    // Parsed by worker/oidc-policy.ts, which reports its own errors.
    oidc: anyJson(),
  },
  { required: ['gateway'] },
);

/** Where one secret's value is read when a step needs it: exactly one source (checked by the loader, worker/secrets-policy.ts). */
const secretSource = obj({
  env: envName(),
  file: secretFile(),
  kubernetes: obj(
    {
      namespace: str({ pattern: DNS_LABEL_PATTERN }),
      name: str({ pattern: DNS_SUBDOMAIN_PATTERN }),
      key: str({ pattern: SECRET_KEY_PATTERN }),
    },
    { required: ['namespace', 'name', 'key'] },
  ),
});

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
  prometheus,
  intake,
  alertmanager,
  slack,
  approvals_page: approvalsPage,
  secrets: record(secretSource, { keyPattern: SECRET_NAME_PATTERN }),
});

export type RawOperatorPolicy = Static<typeof policyFile>;
export const operatorPolicySchema = policyFile.schema;
