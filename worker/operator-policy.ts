/**
 * The operator policy, from the YAML or JSON file named by REMEDIATE_POLICY_FILE (docs/operator-policy.md):
 * guardrail limits, failure budget, change windows, approvers, whose signatures count, the Prometheus
 * servers (worker/prometheus-policy.ts) and the Web UI URL.
 * Strict, because it fails closed: an unknown key or a bad value is an error located in the file, and the
 * worker does not start, rather than running with a setting silently dropped. Runs in the worker (Node).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { checkQueryProblem } from '../dsl/check-queries';
import { ChangeWindowError, validateChangeWindow, type ChangeWindow } from '../dsl/change-window';
import { Diagnostics } from '../dsl/diagnostics';
import type { GuardrailPolicy } from '../dsl/guardrail-state';
import { DEFAULT_GUARDRAIL_POLICY } from '../dsl/guardrails/defaults';
import { schemaValidator } from '../dsl/schema-check';
import { didYouMean } from '../dsl/suggest';
import { parseAllowedSigners, type AllowedSigner } from '../dsl/trust/allowed-signers';
import type { ApprovalGateway, TrustPolicy } from '../dsl/trust/types';
import { parseYaml, type PathSegment } from '../dsl/yaml-source';
import { OPERATOR_POLICY_PATTERNS, operatorPolicySchema, WEEKDAYS, type RawOperatorPolicy } from './operator-policy-schema';
import { EXIT, UserFacingError } from '../dsl/user-facing-error';
import { prometheusShortcut } from '../activities/config';
import type { PrometheusServers } from '../activities/prometheus-servers';
import { prometheusServersOf } from './prometheus-policy';
import { secretSourcesOf } from './secrets-policy';
import { NO_SECRETS, type SecretSources } from '../activities/secrets/sources';
import { intakePolicyOf, type IntakePolicy } from './intake-policy';
import { alertmanagerRulesOf } from './alertmanager-policy';
import type { AlertmanagerRule } from '../intake/alertmanager-rules';
import { slackPolicyOf, type SlackPolicy } from './slack-policy';
import { approvalsPagePolicyOf, type ApprovalsPagePolicy } from './approvals-page-policy';

export interface LoadedOperatorPolicy {
  guardrails: GuardrailPolicy;
  /** Groups are null-prototype records: a group called `toString` must not find Object.prototype's. */
  approvers: { defaults: string[]; groups: Record<string, string[]> };
  /** No allowed_signers file: no signers, so every signed approval is refused (fail closed). */
  trust: TrustPolicy;
  webUiUrl?: string;
  /** Launchers (sh, env, python, ...) the catalogue may use as programs; compile errors otherwise. */
  allowedPrograms: string[];
  /**
   * The Prometheus servers prometheus steps may name (worker/prometheus-policy.ts), credentials read;
   * without a `prometheus.servers` section, REMEDIATE_PROMETHEUS_URL's one server (or none).
   */
  prometheus: PrometheusServers;
  /** `secrets`: where each secret runbooks may reference is read, at run time (worker/secrets-policy.ts); none by default. */
  secrets: SecretSources;
  /** `prometheus.check_queries`: the operator's query for a standard Prometheus check, by check name. */
  checkQueries: ReadonlyMap<string, string>;
  /** `intake`: what `remediate serve` listens on and which sources may post (worker/intake-policy.ts). */
  intake: IntakePolicy;
  /** `alertmanager.rules`: how POST /v1/alertmanager maps alerts to incidents, in order (the first match wins). */
  alertmanagerRules: AlertmanagerRule[];
  /** `slack`: the Slack app's secrets, channel, gateway and user mapping (worker/slack-policy.ts). */
  slack?: SlackPolicy;
  /** `approvals_page`: the page `remediate serve` serves, when configured (worker/approvals-page-policy.ts). */
  approvalsPage?: ApprovalsPagePolicy;
  /** sha256 hex of the policy file's text plus the allowed_signers text: recorded in each remediation's history. */
  version: string;
  /** The file it came from, or undefined for the built-in defaults. */
  file?: string;
}

export interface PolicyError {
  file: string;
  line: number;
  column: number;
  /** The field, e.g. `limits.max_concurrent`; `(root)` for the file as a whole. */
  path: string;
  message: string;
}

export class PolicyFileError extends UserFacingError {
  override readonly name = 'PolicyFileError';
  readonly exitCode = EXIT.FAILED;
  constructor(readonly errors: PolicyError[]) {
    super(errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.path}: ${e.message}`).join('\n'));
  }
}

/** Policy and allowed_signers files are small; anything bigger is not what the operator meant to name. */
const MAX_FILE_BYTES = 1024 * 1024;
const ROOT = '(root)';
const MINUTE_MS = 60_000;

export const DEFAULT_GUARDRAILS: GuardrailPolicy = DEFAULT_GUARDRAIL_POLICY;
const DEFAULT_STATEMENT_MAX_AGE_MINUTES = 15;

const validatePolicy = schemaValidator<RawOperatorPolicy>(operatorPolicySchema, OPERATOR_POLICY_PATTERNS);

export function operatorPolicyFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.REMEDIATE_POLICY_FILE?.trim() || undefined;
}

/** `env`: where REMEDIATE_PROMETHEUS_URL and the policy's `*_env` credentials are read. */
export function loadOperatorPolicy(file: string | undefined, env: NodeJS.ProcessEnv = process.env): LoadedOperatorPolicy {
  if (file === undefined) return build({}, undefined, '', { text: '', signers: [] }, [], prometheusShortcut(env), []);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PolicyFileError([
      { file, line: 1, column: 1, path: ROOT, message: `cannot read the policy file: ${(error as Error).message}` },
    ]);
  }
  return parseOperatorPolicy(file, text, undefined, env);
}

export function parseOperatorPolicy(
  file: string,
  text: string,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
  env: NodeJS.ProcessEnv = process.env,
): LoadedOperatorPolicy {
  const whole = (message: string, line = 1, column = 1) => new PolicyFileError([{ file, line, column, path: ROOT, message }]);
  if (Buffer.byteLength(text, 'utf8') > MAX_FILE_BYTES) throw whole('the policy file is larger than 1 MiB');
  // YAML accepts NUL; refusing it keeps a policy file text, and makes the NUL in `version` an unambiguous separator.
  const nul = text.indexOf('\0');
  if (nul >= 0) throw whole('the policy file contains a NUL character', lineOf(text, nul), nul - text.lastIndexOf('\n', nul));
  const parsed = parseYaml(text);
  if (!parsed.ok) throw new PolicyFileError(parsed.errors.map(({ position, message }) => ({ file, ...position, path: ROOT, message })));
  const diag = new Diagnostics(file, parsed.source);
  // An empty file (or only comments) means every default.
  const validated = validatePolicy(parsed.value ?? {});
  if (!validated.ok) {
    for (const issue of validated.issues) diag.error(issue.path, issue.message, { key: issue.key });
    throw new PolicyFileError(located(diag));
  }
  const raw = validated.value;
  const groups = groupsOf(raw, diag);
  checkGroupRefs(raw.approvers?.default ?? [], ['approvers', 'default'], groups, diag);
  (raw.change_windows ?? []).forEach((w, i) => checkChangeWindow(changeWindowOf(w, i), w, ['change_windows', i], diag));
  checkCheckQueries(raw, diag);
  const signers = readSigners(file, raw, readFile, diag);
  const gateways = gatewaysOf(raw, groups, signers, diag);
  if (raw.web_ui_url !== undefined && !URL.canParse(raw.web_ui_url))
    diag.error(['web_ui_url'], `expected an http(s) URL, found ${JSON.stringify(raw.web_ui_url)}`);
  const prometheus = prometheusServersOf(raw, { policyFile: file, readFile, env }, diag);
  intakePolicyOf(raw, file, diag);
  const alertmanagerRules = alertmanagerRulesOf(raw, diag);
  const slack = slackPolicyOf(raw, { policyFile: file, readFile, gateways }, diag);
  const approvalsPage = approvalsPagePolicyOf(raw, file, diag);
  const secrets = secretSourcesOf(raw, file, diag);
  const errors = [...located(diag), ...signers.errors];
  if (errors.length > 0) throw new PolicyFileError(errors);
  const policy = build(raw, file, text, signers, gateways, prometheus, alertmanagerRules);
  if (slack) policy.slack = slack;
  if (approvalsPage) policy.approvalsPage = approvalsPage;
  policy.secrets = secrets;
  return policy;
}

function build(
  raw: RawOperatorPolicy,
  file: string | undefined,
  text: string,
  { text: signersText, signers: allowedSigners }: Pick<Signers, 'text' | 'signers'>,
  gateways: ApprovalGateway[],
  prometheus: PrometheusServers,
  alertmanagerRules: AlertmanagerRule[],
): LoadedOperatorPolicy {
  const groups: Record<string, string[]> = Object.create(null);
  for (const [name, members] of Object.entries(raw.approvers?.groups ?? {})) groups[name] = [...members];
  const policy: LoadedOperatorPolicy = {
    guardrails: {
      limits: {
        maxConcurrent: raw.limits?.max_concurrent ?? DEFAULT_GUARDRAILS.limits.maxConcurrent,
        maxServices: raw.limits?.max_services ?? DEFAULT_GUARDRAILS.limits.maxServices,
      },
      failureBudget: {
        maxFailures: raw.failure_budget?.max_failures ?? DEFAULT_GUARDRAILS.failureBudget.maxFailures,
        windowMs:
          raw.failure_budget?.window_minutes === undefined
            ? DEFAULT_GUARDRAILS.failureBudget.windowMs
            : raw.failure_budget.window_minutes * MINUTE_MS,
      },
      changeWindows: (raw.change_windows ?? []).map(changeWindowOf),
    },
    approvers: { defaults: [...(raw.approvers?.default ?? [])], groups },
    allowedPrograms: [...(raw.allowed_programs ?? [])],
    prometheus,
    secrets: NO_SECRETS,
    checkQueries: new Map(Object.entries(raw.prometheus?.check_queries ?? {})),
    intake: intakePolicyOf(raw, file),
    alertmanagerRules,
    trust: {
      allowedSigners,
      gateways,
      statementMaxAgeMs: (raw.statement_max_age_minutes ?? DEFAULT_STATEMENT_MAX_AGE_MINUTES) * MINUTE_MS,
    },
    version: createHash('sha256').update(text).update('\0').update(signersText).digest('hex'),
  };
  if (raw.web_ui_url !== undefined) policy.webUiUrl = raw.web_ui_url.replace(/\/+$/, '');
  if (file !== undefined) policy.file = file;
  return policy;
}

/** Each replacement names a standard Prometheus check and compiles as PromQL with placeholders. */
function checkCheckQueries(raw: RawOperatorPolicy, diag: Diagnostics): void {
  for (const [name, query] of Object.entries(raw.prometheus?.check_queries ?? {})) {
    const problem = checkQueryProblem(name, query);
    if (!problem) continue;
    const at = problem.offset === undefined ? { key: true } : { offset: problem.offset };
    diag.error(['prometheus', 'check_queries', name], problem.message, at);
  }
}

/** Errors in file order, as a reader goes through the file. */
function located(diag: Diagnostics): PolicyError[] {
  return [...diag.errors]
    .sort((a, b) => a.line - b.line || a.column - b.column)
    .map((e) => ({ file: e.file, line: e.line, column: e.column, path: e.path || ROOT, message: e.message }));
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

type RawWindow = NonNullable<RawOperatorPolicy['change_windows']>[number];

function changeWindowOf(w: RawWindow, i: number): ChangeWindow {
  const appliesTo: ChangeWindow['appliesTo'] = {};
  if (w.applies_to.risks) appliesTo.risks = [...w.applies_to.risks];
  if (w.applies_to.runbooks) appliesTo.runbooks = [...w.applies_to.runbooks];
  return {
    name: w.name ?? `window-${i + 1}`,
    timeZone: w.time_zone ?? 'UTC',
    days: [...(w.days ?? WEEKDAYS)],
    start: w.start,
    end: w.end,
    appliesTo,
    outside: w.outside ?? 'wait',
  };
}

/** validateChangeWindow is the authority on windows, but names no field; locate its complaint as well as we can. */
function checkChangeWindow(window: ChangeWindow, raw: RawWindow, path: PathSegment[], diag: Diagnostics): void {
  const problem = windowProblem(window);
  if (problem === undefined) return;
  // The schema has checked days and times; if the window passes in UTC, its time zone is what is wrong.
  const zone = raw.time_zone !== undefined && windowProblem({ ...window, timeZone: 'UTC' }) === undefined;
  diag.error(zone ? [...path, 'time_zone'] : path, problem);
}

function windowProblem(window: ChangeWindow): string | undefined {
  try {
    validateChangeWindow(window);
    return undefined;
  } catch (error) {
    if (error instanceof ChangeWindowError) return error.message;
    throw error;
  }
}

/** Names Object.prototype answers to: refused as group names, so no consumer's plain-object lookup can be fooled. */
function reservedName(name: string): boolean {
  return name === 'prototype' || name in Object.prototype;
}

/** Every group defined; a reserved name is reported once, at its key, and not again where it is referenced. */
function groupsOf(raw: RawOperatorPolicy, diag: Diagnostics): Set<string> {
  const names = new Set(Object.keys(raw.approvers?.groups ?? {}));
  for (const name of names) {
    if (reservedName(name))
      diag.error(['approvers', 'groups', name], `group name "${name}" is reserved: choose another name`, { key: true });
  }
  return names;
}

function checkGroupRefs(list: readonly string[], path: PathSegment[], groups: ReadonlySet<string>, diag: Diagnostics): void {
  list.forEach((name, i) => {
    if (!name.startsWith('group:')) return;
    const group = name.slice('group:'.length);
    if (groups.has(group)) return;
    const known = groups.size > 0 ? `groups defined: ${[...groups].join(', ')}` : 'no groups are defined under approvers.groups';
    diag.error([...path, i], `unknown group "${group}"${didYouMean(group, groups)}; ${known}`);
  });
}

interface Signers {
  signers: AllowedSigner[];
  text: string;
  /** The file as the policy named it (resolved against the policy's folder), for messages. */
  file?: string;
  /** Its own errors, located in it; any error here, or an unreadable file, means its principals are unknown. */
  errors: PolicyError[];
  usable: boolean;
}

function readSigners(policyFile: string, raw: RawOperatorPolicy, readFile: (path: string) => string, diag: Diagnostics): Signers {
  if (raw.allowed_signers === undefined) return { signers: [], text: '', errors: [], usable: true };
  const at = ['allowed_signers'];
  const file = isAbsolute(raw.allowed_signers) ? raw.allowed_signers : join(dirname(policyFile), raw.allowed_signers);
  let text: string;
  try {
    text = readFile(file);
  } catch (error) {
    diag.error(at, `cannot read the allowed_signers file ${file}: ${(error as Error).message}`);
    return { signers: [], text: '', file, errors: [], usable: false };
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_FILE_BYTES) {
    diag.error(at, `the allowed_signers file ${file} is larger than 1 MiB`);
    return { signers: [], text: '', file, errors: [], usable: false };
  }
  const parsed = parseAllowedSigners(text);
  const errors = parsed.errors.map((e) => ({ file, line: e.line, column: e.column, path: 'allowed_signers', message: e.message }));
  return { signers: parsed.signers, text, file, errors, usable: errors.length === 0 };
}

/** `group:NAME` in vouches_for is expanded here, so the trust policy stands on its own. */
function gatewaysOf(raw: RawOperatorPolicy, groups: ReadonlySet<string>, signers: Signers, diag: Diagnostics): ApprovalGateway[] {
  const principals = new Set(signers.signers.flatMap((s) => s.principals));
  const seen = new Set<string>();
  return (raw.gateways ?? []).map((gateway, i) => {
    const path: PathSegment[] = ['gateways', i];
    if (seen.has(gateway.principal)) diag.error([...path, 'principal'], `gateway "${gateway.principal}" is listed twice`);
    seen.add(gateway.principal);
    if (signers.file === undefined) {
      diag.error(
        [...path, 'principal'],
        `gateway "${gateway.principal}" must be a principal in allowed_signers, but no allowed_signers file is named`,
      );
    } else if (signers.usable && !principals.has(gateway.principal)) {
      diag.error(
        [...path, 'principal'],
        `gateway "${gateway.principal}" is not a principal in ${signers.file}${didYouMean(gateway.principal, principals)}: a gateway signs with its own key, listed there`,
      );
    }
    checkGroupRefs(gateway.vouches_for, [...path, 'vouches_for'], groups, diag);
    const members = gateway.vouches_for.flatMap((name) => {
      if (!name.startsWith('group:')) return [name];
      const group = name.slice('group:'.length);
      const all = raw.approvers?.groups ?? {};
      return Object.hasOwn(all, group) ? (all[group] ?? []) : [];
    });
    return { principal: gateway.principal, vouchesFor: [...new Set(members)] };
  });
}
