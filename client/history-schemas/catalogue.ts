/**
 * The compiled catalogue as a run recorded it (in its input before `operator-policy`, in the
 * worker-context answer since), and the executors and results its steps carry in activity payloads.
 */
import type {
  CompiledCatalogue,
  ExecutorResult,
  HttpSpec,
  KindResult,
  KubernetesOp,
  ResolvedExecutor,
  TemplateValue,
} from '../../dsl/types';
import { anyJson, anyOf, arr, bool, int, nul, num, record, str, strEnum, type Static, type Typed } from '../../dsl/schema-builder';
import { allOf, literal, nullable, open, payloadValidator, ref } from './builders';

const template = open(
  {
    parts: arr(
      anyOf([
        open({ kind: literal('literal'), text: str() }, ['kind', 'text']),
        open({ kind: literal('placeholder'), path: arr(str()) }, ['kind', 'path']),
      ]),
    ),
  },
  ['parts'],
);
/** Secret references (docs/secrets.md): compiled, a name; rendered, still a name. Runs recorded before them hold only text. */
const textOrSecret = anyOf([template, open({ kind: literal('secret'), name: str() }, ['kind', 'name'])]);
const resolvedText = anyOf([str(), open({ secret: str() }, ['secret'])]);
const templateValue = ref<TemplateValue>('TemplateValue');
const templateValueBody = anyOf([
  open({ kind: literal('template'), template }, ['kind', 'template']),
  open({ kind: literal('literal'), value: anyOf([num(), bool(), nul()]) }, ['kind', 'value']),
  open({ kind: literal('list'), items: arr(templateValue) }, ['kind', 'items']),
  open({ kind: literal('object'), entries: record(templateValue) }, ['kind', 'entries']),
]);
// The definition accepts what the reference claims.
const templateValueChecked: Typed<TemplateValue> = templateValueBody;

const KUBERNETES_OPS = allOf<KubernetesOp>()(['get_pod', 'get_deployment', 'delete_pod', 'scale', 'rollout_restart', 'rollout_undo']);
const PROMETHEUS_RESULT_TYPES = allOf<KindResult<'prometheus'>['resultType']>()(['vector', 'scalar', 'none']);
const HTTP_METHODS = allOf<HttpSpec['method']>()(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']);

const executorSpec = anyOf([
  open({ executor: literal('exec'), argv: arr(textOrSecret), env: record(textOrSecret), cwd: str(), okExitCodes: arr(int()) }, [
    'executor',
    'argv',
    'env',
    'okExitCodes',
  ]),
  open(
    {
      executor: literal('http'),
      method: strEnum(HTTP_METHODS),
      url: template,
      headers: record(textOrSecret),
      query: record(textOrSecret),
      body: templateValue,
      okStatuses: arr(int()),
    },
    ['executor', 'method', 'url', 'headers', 'okStatuses'],
  ),
  open(
    {
      executor: literal('kubernetes'),
      op: strEnum(KUBERNETES_OPS),
      namespace: template,
      name: template,
      replicas: template,
      delta: template,
      toRevision: template,
      namespaces: arr(str()),
    },
    ['executor', 'op', 'namespace', 'name', 'namespaces'],
  ),
  open({ executor: literal('prometheus'), query: template, timeoutMs: num(), allowEmpty: bool() }, ['executor', 'query', 'allowEmpty']),
]);

export const resolvedExecutor: Typed<ResolvedExecutor> = anyOf([
  open({ executor: literal('exec'), argv: arr(resolvedText), env: record(resolvedText), cwd: str(), okExitCodes: arr(int()) }, [
    'executor',
    'argv',
    'env',
    'okExitCodes',
  ]),
  open(
    {
      executor: literal('http'),
      method: strEnum(HTTP_METHODS),
      url: str(),
      headers: record(resolvedText),
      query: record(resolvedText),
      body: anyJson(),
      okStatuses: arr(int()),
    },
    ['executor', 'method', 'url', 'headers', 'okStatuses'],
  ),
  open(
    {
      executor: literal('kubernetes'),
      op: strEnum(KUBERNETES_OPS),
      namespace: str(),
      name: str(),
      replicas: str(),
      delta: str(),
      toRevision: str(),
      namespaces: arr(str()),
    },
    ['executor', 'op', 'namespace', 'name', 'namespaces'],
  ),
  open({ executor: literal('prometheus'), query: str(), timeoutMs: num(), allowEmpty: bool() }, ['executor', 'query', 'allowEmpty']),
]);

export const executorResult: Typed<ExecutorResult> = anyOf([
  open(
    {
      executor: literal('exec'),
      ok: bool(),
      exitCode: nullable(int()),
      signal: nullable(str()),
      stdout: str(),
      stderr: str(),
      truncated: bool(),
      durationMs: num(),
    },
    ['executor', 'ok', 'exitCode', 'signal', 'stdout', 'stderr', 'truncated', 'durationMs'],
  ),
  open({ executor: literal('http'), ok: bool(), status: int(), body: str(), json: anyJson(), truncated: bool(), durationMs: num() }, [
    'executor',
    'ok',
    'status',
    'body',
    'truncated',
    'durationMs',
  ]),
  open(
    {
      executor: literal('kubernetes'),
      ok: bool(),
      op: strEnum(KUBERNETES_OPS),
      status: int(),
      message: str(),
      json: anyJson(),
      durationMs: num(),
    },
    ['executor', 'ok', 'op', 'status', 'message', 'durationMs'],
  ),
  open(
    {
      executor: literal('prometheus'),
      ok: bool(),
      query: str(),
      resultType: strEnum(PROMETHEUS_RESULT_TYPES),
      samples: arr(open({ labels: record(str()), value: str() }, ['labels', 'value'])),
      value: str(),
      message: str(),
      durationMs: num(),
    },
    ['executor', 'ok', 'query', 'resultType', 'samples', 'message', 'durationMs'],
  ),
]);

const cel = open({ cel: str() }, ['cel']);
const checkStep = open(
  {
    kind: literal('check'),
    id: str(),
    when: cel,
    check: str(),
    origin: strEnum(['stdlib', 'file', 'file_override', 'inline']),
    description: str(),
    probe: executorSpec,
    condition: cel,
    timeoutMs: num(),
    deadlineMs: num(),
    intervalMs: num(),
    settleMs: num(),
    holdForMs: num(),
  },
  ['kind', 'id', 'check', 'origin', 'description', 'condition', 'timeoutMs', 'deadlineMs', 'intervalMs'],
);
const executionStep = anyOf([
  open(
    {
      kind: literal('action'),
      id: str(),
      when: cel,
      description: str(),
      run: executorSpec,
      timeoutMs: num(),
      retries: int(),
      outputs: record(cel),
    },
    ['kind', 'id', 'description', 'run', 'timeoutMs', 'retries', 'outputs'],
  ),
  open({ kind: literal('wait'), id: str(), when: cel, durationMs: num() }, ['kind', 'id', 'durationMs']),
]);

const runbook = open(
  {
    id: str(),
    name: str(),
    description: str(),
    owner: str(),
    risk: strEnum(['LOW', 'MEDIUM', 'HIGH']),
    mode: strEnum(['suggest', 'approval', 'auto']),
    match: open({ rootCauses: arr(str()), symptoms: arr(str()), precedence: num() }, ['rootCauses', 'symptoms', 'precedence']),
    minConfidence: num(),
    guardrails: open(
      {
        maxPerHour: num(),
        cooldownMs: num(),
        blastRadiusLimit: num(),
        circuitBreaker: open({ failureThreshold: num(), recoveryTimeoutMs: num() }, ['failureThreshold', 'recoveryTimeoutMs']),
      },
      ['maxPerHour', 'cooldownMs', 'blastRadiusLimit', 'circuitBreaker'],
    ),
    approval: open({ approvers: arr(str()), quorum: int(), timeoutMs: num(), escalateAfterMs: num(), escalationTarget: str() }, [
      'approvers',
      'quorum',
      'timeoutMs',
      'escalateAfterMs',
    ]),
    context: nullable(
      record(
        open({ type: strEnum(['string', 'int', 'number', 'bool', 'dns_label', 'dns_subdomain']), required: bool(), description: str() }, [
          'type',
          'required',
        ]),
      ),
    ),
    preChecks: arr(checkStep),
    actions: arr(executionStep),
    postChecks: arr(checkStep),
    rollback: anyOf([
      open({ kind: literal('self_healing') }, ['kind']),
      open({ kind: literal('steps'), steps: arr(executionStep) }, ['kind', 'steps']),
      open({ kind: literal('undeclared') }, ['kind']),
    ]),
    source: open({ file: str(), line: int() }, ['file', 'line']),
    version: str(),
  },
  [
    'id',
    'name',
    'description',
    'owner',
    'risk',
    'mode',
    'match',
    'minConfidence',
    'guardrails',
    'approval',
    'context',
    'preChecks',
    'actions',
    'postChecks',
    'rollback',
    'source',
    'version',
  ],
);

export const compiledCatalogue: Typed<CompiledCatalogue> = open({ runbooks: arr(runbook), version: str() }, ['runbooks', 'version']);

/** The definitions the schemas above refer to; every validator built from them needs these. */
export const CATALOGUE_DEFINITIONS = { TemplateValue: templateValueChecked.schema };

export type RecordedCatalogue = Static<typeof compiledCatalogue>;
export const validateCatalogue = payloadValidator(compiledCatalogue, CATALOGUE_DEFINITIONS);
