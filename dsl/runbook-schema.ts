/**
 * The runbook file format (source YAML), as one typed definition: the JSON
 * Schema published in schema/runbook.schema.json is generated from this, and
 * the compiler reads the validated YAML through `RawRunbookFile`.
 *
 * The schema accepts the short format of the reference exercise and the full
 * typed format, a superset. Rules that need more than one field (exactly one
 * of exec/http/wait, no `action` together with `actions`, ...) are semantic
 * checks in the compiler, so that ajv errors stay simple and precise.
 */
import {
  anyOf,
  arr,
  bool,
  define,
  definitions,
  int,
  nul,
  num,
  obj,
  record,
  str,
  strEnum,
  type JsonSchema,
  type Static,
} from './schema-builder';
import { STEP_KINDS } from './steps';

const RUNBOOK_ID_PATTERN = '^[a-z0-9]([a-z0-9_-]*[a-z0-9])?$';
const CHECK_NAME_PATTERN = '^[a-z][a-z0-9_]*$';
/** Step ids and output names are CEL identifiers so `steps.ID.NAME` works in expressions. */
const IDENTIFIER_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
const DURATION_PATTERN = '^[0-9]+(ms|s|m|h)$';
const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

const duration = define(
  'duration',
  anyOf([str({ pattern: DURATION_PATTERN }), num({ minimum: 0 })], {
    description: 'A duration: "500ms", "30s", "5m", "1h", or a number of seconds.',
  }),
);

const paramType = define(
  'paramType',
  strEnum(['string', 'int', 'number', 'bool', 'dns_label', 'dns_subdomain'], {
    description: 'Type of a context field; incident values are checked against it before anything runs.',
  }),
);

const contextField = define(
  'contextField',
  anyOf(
    [
      paramType,
      obj(
        {
          type: paramType,
          required: bool({ description: 'Whether every incident must supply it (default true).' }),
          description: str(),
          allow_leading_dash: bool({
            description:
              'Whether a value may start with "-" where it begins a command argument (default false: it would be read as an option).',
          }),
        },
        { required: ['type'] },
      ),
    ],
    { description: 'A context field: its type, or {type, required, description, allow_leading_dash}.' },
  ),
);

// Each step kind's part of the schema lives in its module (dsl/steps/).
const exec = STEP_KINDS.exec.schema;
const http = STEP_KINDS.http.schema;
const kubernetes = STEP_KINDS.kubernetes.schema;
const prometheus = STEP_KINDS.prometheus.schema;

const probe = define(
  'probe',
  obj(
    { exec, http, kubernetes, prometheus },
    { description: 'A read-only probe whose result the condition sees as `result`: exactly one of exec, http, kubernetes or prometheus.' },
  ),
);

const cel = str({ minLength: 1, description: 'A CEL expression.' });

const checkTiming = {
  timeout: duration,
  deadline: duration,
  interval: duration,
  /** Wait before the first evaluation (default 0); part of the deadline. */
  settle: duration,
  /** How long the condition must stay true over consecutive polls (default 0: one true poll). */
  hold_for: duration,
};

const checkDefinition = define(
  'checkDefinition',
  obj(
    {
      description: str({ description: 'What the check reads and when it passes.' }),
      probe,
      condition: cel,
      ...checkTiming,
    },
    { required: ['condition'] },
  ),
);

const checkEntry = define(
  'checkEntry',
  anyOf(
    [
      str({ pattern: CHECK_NAME_PATTERN, description: "The name of a check (standard library or this file's `checks:`)." }),
      obj(
        {
          check: str({ pattern: CHECK_NAME_PATTERN, description: 'Use a named check, with timing overrides.' }),
          id: str({ pattern: IDENTIFIER_PATTERN, description: 'Step id (required for inline checks).' }),
          description: str(),
          when: cel,
          probe,
          condition: cel,
          ...checkTiming,
        },
        { description: 'A named check with overrides ({check: NAME, ...}) or an inline check ({id, condition, probe}).' },
      ),
    ],
    { description: 'A check: a name, or an object.' },
  ),
);

const step = define(
  'step',
  obj(
    {
      id: str({ pattern: IDENTIFIER_PATTERN, description: 'Unique within the runbook.' }),
      description: str(),
      when: cel,
      exec,
      http,
      kubernetes,
      prometheus,
      wait: duration,
      timeout: duration,
      retries: int({ minimum: 0, description: 'Extra attempts after the first (default 0).' }),
      outputs: record(cel, {
        keyPattern: IDENTIFIER_PATTERN,
        description: 'Named CEL expressions over `result`; later steps and the rollback read them as steps.ID.NAME.',
      }),
    },
    { required: ['id'], description: 'An action: exactly one of exec, http, kubernetes, prometheus or wait.' },
  ),
);

const command = define(
  'command',
  str({
    minLength: 1,
    description: 'A command line with {placeholders}, split into argv when compiled; never run through a shell.',
  }),
);

const names = arr(str({ minLength: 1 }));

const runbook = define(
  'runbook',
  obj(
    {
      name: str(),
      description: str(),
      owner: str(),
      risk: strEnum(['LOW', 'MEDIUM', 'HIGH'], { description: 'Default HIGH.' }),
      mode: strEnum(['suggest', 'approval', 'auto'], {
        description: 'Default: auto for LOW and MEDIUM, approval for HIGH. HIGH can never be auto.',
      }),
      precedence: int({ description: 'Breaks ties between runbooks matching the same way (higher wins; default 0).' }),
      triggers: arr(str({ minLength: 1 }), { description: 'Root causes or symptoms this runbook fixes (the short format).' }),
      root_causes: names,
      symptoms: names,
      min_confidence: num({ minimum: 0, maximum: 1 }),
      max_per_hour: int({ exclusiveMinimum: 0, description: 'Default 3.' }),
      cooldown_minutes: num({ minimum: 0, description: 'Default 10.' }),
      blast_radius_limit: int({ exclusiveMinimum: 0, description: 'Maximum services one incident may span (default 1).' }),
      circuit_breaker: obj({
        failure_threshold: int({ exclusiveMinimum: 0, description: 'Default 3.' }),
        recovery_timeout: duration,
      }),
      approval: obj({
        approvers: arr(str({ minLength: 1 }), { description: 'User names or group:NAME.' }),
        quorum: int({ exclusiveMinimum: 0, description: 'Distinct approvals needed (default 1).' }),
        timeout: duration,
        escalate_after: duration,
        escalation_target: str({ minLength: 1 }),
      }),
      namespaces: arr(str({ pattern: DNS_LABEL_PATTERN, maxLength: 63 }), {
        minItems: 1,
        description: 'Kubernetes namespaces its kubernetes steps may act in (required with them); any other is refused.',
      }),
      context: record(contextField, {
        keyPattern: IDENTIFIER_PATTERN,
        description: 'Context fields this runbook needs; when declared, every placeholder must name one.',
      }),
      pre_checks: arr(checkEntry),
      action: command,
      actions: arr(step, { minItems: 1 }),
      post_checks: arr(checkEntry),
      rollback: anyOf([nul(), command, arr(step, { minItems: 1 })], {
        description: 'null: the action heals itself. A command or a list of steps undoes the actions.',
      }),
    },
    { required: ['min_confidence'] },
  ),
);

const runbookFile = obj(
  {
    runbooks: record(runbook, { keyPattern: RUNBOOK_ID_PATTERN }),
    checks: record(checkDefinition, {
      keyPattern: CHECK_NAME_PATTERN,
      description: 'Checks for this file; a name here overrides the standard library for this file.',
    }),
  },
  { required: ['runbooks'] },
);

export type RawRunbookFile = Static<typeof runbookFile>;
export type RawRunbook = Static<typeof runbook>;
export type RawCheckDefinition = Static<typeof checkDefinition>;
export type RawCheckEntry = Static<typeof checkEntry>;
export type RawStep = Static<typeof step>;
export type RawProbe = Static<typeof probe>;
export type { RawExec } from './steps/exec';
export type { RawHttp } from './steps/http';
export type { RawKubernetes } from './steps/kubernetes';
export type { RawPrometheus } from './steps/prometheus';
export type RawContextField = Static<typeof contextField>;

export const runbookFileSchema: JsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'remediate runbook file',
  ...runbookFile.schema,
  definitions: definitions([
    duration,
    paramType,
    contextField,
    exec,
    http,
    kubernetes,
    prometheus,
    probe,
    checkDefinition,
    checkEntry,
    step,
    command,
    runbook,
  ]),
};

/** Readable names for the patterns above, for error messages. */
export const RUNBOOK_PATTERN_NAMES: Record<string, string> = {
  [RUNBOOK_ID_PATTERN]: 'a runbook id: lowercase letters, digits, "-" and "_"',
  [CHECK_NAME_PATTERN]: 'a check name: lowercase letters, digits and "_", starting with a letter',
  [IDENTIFIER_PATTERN]: 'an identifier: letters, digits and "_", not starting with a digit',
  [DURATION_PATTERN]: 'a duration like "500ms", "30s", "5m" or "1h"',
  [DNS_LABEL_PATTERN]: 'a namespace name: lowercase letters, digits and "-"',
};
