/**
 * Compiling executors and action steps: templates with checked placeholders,
 * argv without a shell, CEL guards and outputs.
 */
import { checkCondition, checkExpr, type CelScope } from './cel';
import type { At } from './diagnostics';
import { durationMs } from './duration';
import type { RawExec, RawHttp, RawKubernetes, RawProbe, RawStep } from './runbook-schema';
import { didYouMean } from './suggest';
import { isLiteral, parseTemplate, placeholders, splitCommand, templateSource, urlLayout } from './template';
import type {
  CelExpr,
  ExecSpec,
  ExecutionStep,
  ExecutorSpec,
  HttpSpec,
  KubernetesOp,
  KubernetesSpec,
  ParamDecl,
  Template,
  TemplateValue,
} from './types';
import type { PathSegment } from './yaml-source';

export type Report = (path: readonly PathSegment[], message: string, at?: At) => void;

/** What the code being compiled may reference, and where its errors go. */
export interface StepScope {
  report: Report;
  /** Declared context, or null: placeholders are then checked per incident. */
  context: Record<string, ParamDecl> | null;
  /** Outputs of the steps that run before, by step id; 'any' while checking a shared definition on its own. */
  outputs: ReadonlyMap<string, ReadonlySet<string>> | 'any';
  /** The runbook's allowed Kubernetes namespaces; undefined while checking a shared definition on its own. */
  namespaces?: readonly string[];
  /** Shells and launchers the operator allows as programs anyway (compile option `allowedPrograms`). */
  allowedPrograms?: readonly string[];
}

export const ACTION_TIMEOUT_MS = 60_000;

export function compileTemplate(text: string, path: readonly PathSegment[], scope: StepScope, baseOffset = 0): Template | undefined {
  const parsed = parseTemplate(text);
  if (!parsed.ok) {
    scope.report(path, parsed.message, { offset: baseOffset + parsed.offset });
    return undefined;
  }
  let ok = true;
  placeholders(parsed.template).forEach((placeholder, i) => {
    const problem = placeholderProblem(placeholder, scope);
    if (problem) {
      scope.report(path, problem, { offset: baseOffset + (parsed.offsets[i] ?? 0) });
      ok = false;
    }
  });
  return ok ? parsed.template : undefined;
}

function placeholderProblem(path: string[], scope: StepScope): string | undefined {
  const [root, name = '', output = ''] = path;
  if (root === 'context' && scope.context && !(name in scope.context)) {
    const declared = Object.keys(scope.context);
    return `placeholder {${name}} is not declared in the runbook's context${didYouMean(name, declared)}; declared: ${
      declared.length > 0 ? declared.join(', ') : 'nothing'
    }`;
  }
  if (root === 'steps' && scope.outputs !== 'any') {
    const outputs = scope.outputs.get(name);
    if (!outputs) {
      const earlier = [...scope.outputs.keys()];
      return `placeholder {steps.${name}.${output}}: no earlier step "${name}" with outputs${didYouMean(name, earlier)}${
        earlier.length > 0 ? `; steps with outputs so far: ${earlier.join(', ')}` : ''
      }`;
    }
    if (!outputs.has(output)) {
      return `placeholder {steps.${name}.${output}}: step "${name}" has no output "${output}"${didYouMean(output, outputs)}; it has: ${[...outputs].join(', ')}`;
    }
  }
  return undefined;
}

/**
 * Programs that run other programs or code given as arguments: as argv[0] they
 * would bring back the shell this DSL does without (`sh -c`, `env X=1 cmd`, `node -e`).
 */
export const LAUNCHERS: ReadonlySet<string> = new Set([
  'sh', 'bash', 'dash', 'zsh', 'ksh', 'csh', 'tcsh', 'fish', 'env', 'xargs', 'nohup', 'sudo', 'su', 'doas',
  'nice', 'timeout', 'busybox', 'python', 'python3', 'perl', 'ruby', 'node', 'eval',
]);

/** The program must be literal (incident data never picks it) and not a shell or launcher, unless the operator allows it. */
function checkProgram(argv: Template[], path: readonly PathSegment[], scope: StepScope, at?: At): boolean {
  const program = argv[0];
  if (!program) return true;
  if (!isLiteral(program)) {
    scope.report(path, `the program to run must be written literally, found ${templateSource(program)}`, at);
    return false;
  }
  const text = leadingLiteral(program);
  const base = text.slice(text.lastIndexOf('/') + 1);
  if (LAUNCHERS.has(base) && !scope.allowedPrograms?.some((allowed) => allowed === base || allowed === text)) {
    scope.report(
      path,
      `"${text}" runs other programs or code from its arguments, like a shell, so it cannot be the program: run the real program directly (or the operator allows it with the compile option allowedPrograms)`,
      at,
    );
    return false;
  }
  return true;
}

export function compileExec(raw: RawExec, path: readonly PathSegment[], scope: StepScope): ExecSpec | undefined {
  let ok = true;
  const argv: Template[] = [];
  raw.argv.forEach((arg, i) => {
    const template = compileTemplate(arg, [...path, 'argv', i], scope);
    if (template) argv.push(template);
    else ok = false;
  });
  if (ok) ok = checkProgram(argv, [...path, 'argv', 0], scope);
  const env = compileTemplateMap(raw.env ?? {}, [...path, 'env'], scope);
  if (!ok || !env) return undefined;
  const spec: ExecSpec = { executor: 'exec', argv, env, okExitCodes: raw.ok_exit_codes ?? [0] };
  if (raw.cwd !== undefined) spec.cwd = raw.cwd;
  return spec;
}

/** The seed's command strings: split into argv at compile time, one placeholder binding per word. */
export function compileCommand(command: string, path: readonly PathSegment[], scope: StepScope): ExecSpec | undefined {
  const split = splitCommand(command);
  if (!split.ok) {
    scope.report(path, split.message, { offset: split.offset });
    return undefined;
  }
  let ok = true;
  const argv: Template[] = [];
  for (const word of split.words) {
    const template = compileTemplate(word.text, path, scope, word.offset);
    if (template) argv.push(template);
    else ok = false;
  }
  if (ok) ok = checkProgram(argv, path, scope, { offset: split.words[0]!.offset });
  return ok ? { executor: 'exec', argv, env: {}, okExitCodes: [0] } : undefined;
}

export function compileHttp(raw: RawHttp, path: readonly PathSegment[], scope: StepScope): HttpSpec | undefined {
  const url = compileUrl(raw.url, [...path, 'url'], scope);
  const headers = compileTemplateMap(raw.headers ?? {}, [...path, 'headers'], scope);
  const body = raw.body === undefined ? undefined : compileBody(raw.body, [...path, 'body'], scope);
  if (!url || !headers || body === null) return undefined;
  const spec: HttpSpec = {
    executor: 'http',
    method: raw.method ?? 'GET',
    url,
    headers,
    okStatuses: raw.ok_statuses ?? [],
  };
  if (body !== undefined) spec.body = body;
  return spec;
}

/**
 * A URL's scheme, host and port are literal and complete; placeholders fill whole
 * path segments or whole query values only (template.ts urlLayout says why).
 */
function compileUrl(text: string, path: readonly PathSegment[], scope: StepScope): Template | undefined {
  const parsed = parseTemplate(text);
  const url = compileTemplate(text, path, scope);
  if (!url || !parsed.ok) return undefined;
  const layout = urlLayout(url);
  if (layout.ok) return url;
  const at = layout.placeholder >= 0 ? { offset: parsed.offsets[layout.placeholder] ?? 0 } : undefined;
  const message = layout.authority
    ? `the scheme and host of a URL must be written literally (http:// or https://), found ${text}`
    : `${layout.message}, found ${text}`;
  scope.report(path, message, at);
  return undefined;
}

function leadingLiteral(template: Template): string {
  const first = template.parts[0];
  return first?.kind === 'literal' ? first.text : '';
}

function compileTemplateMap(raw: Record<string, string>, path: readonly PathSegment[], scope: StepScope): Record<string, Template> | undefined {
  let ok = true;
  const out: Record<string, Template> = {};
  for (const [key, value] of Object.entries(raw)) {
    const template = compileTemplate(value, [...path, key], scope);
    if (template) out[key] = template;
    else ok = false;
  }
  return ok ? out : undefined;
}

/** null when it had errors (undefined means "no body"). */
function compileBody(value: unknown, path: readonly PathSegment[], scope: StepScope): TemplateValue | null {
  if (typeof value === 'string') {
    const template = compileTemplate(value, path, scope);
    return template ? { kind: 'template', template } : null;
  }
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return { kind: 'literal', value };
  if (Array.isArray(value)) {
    const items = value.map((item, i) => compileBody(item, [...path, i], scope));
    return items.every((item): item is TemplateValue => item !== null) ? { kind: 'list', items } : null;
  }
  if (typeof value === 'object') {
    const entries: Record<string, TemplateValue> = {};
    let ok = true;
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      const compiled = compileBody(item, [...path, key], scope);
      if (compiled) entries[key] = compiled;
      else ok = false;
    }
    return ok ? { kind: 'object', entries } : null;
  }
  return null;
}

/** Operations that only read: the only ones a probe (a check, run and retried freely) may use. */
export const KUBERNETES_READS: ReadonlySet<KubernetesOp> = new Set(['get_pod', 'get_deployment']);

export function compileKubernetes(raw: RawKubernetes, path: readonly PathSegment[], scope: StepScope, use: 'probe' | 'step'): KubernetesSpec | undefined {
  const counted = countingScope(scope);
  const report = counted.scope.report;
  if (use === 'probe' && !KUBERNETES_READS.has(raw.op)) {
    report([...path, 'op'], `a probe may only read (${[...KUBERNETES_READS].join(' or ')}), but "${raw.op}" changes the cluster; make it an action`);
  }
  const allowed: Partial<Record<'replicas' | 'delta' | 'to_revision', KubernetesOp>> = { replicas: 'scale', delta: 'scale', to_revision: 'rollout_undo' };
  for (const [field, op] of Object.entries(allowed)) {
    if (raw[field as keyof typeof allowed] !== undefined && raw.op !== op) report([...path, field], `"${field}" is only for op ${op}, not ${raw.op}`, { key: true });
  }
  if (raw.op === 'scale' && (raw.replicas === undefined) === (raw.delta === undefined)) {
    report(path, `scale needs exactly one of "replicas" (a count) or "delta" (a change), found ${raw.replicas === undefined ? 'neither' : 'both'}`);
  }
  if (raw.delta === 0) report([...path, 'delta'], 'a delta of 0 changes nothing');

  // Namespaces are checked where a runbook uses the step; a shared check definition has no runbook yet.
  if (scope.namespaces !== undefined && scope.namespaces.length === 0) {
    report(path, 'a kubernetes step acts only in namespaces its runbook allows: add "namespaces: [...]" to the runbook');
  }
  const namespace = compileTemplate(raw.namespace, [...path, 'namespace'], counted.scope);
  const literal = namespace && isLiteral(namespace) ? leadingLiteral(namespace) : undefined;
  if (literal !== undefined && scope.namespaces?.length && !scope.namespaces.includes(literal)) {
    report([...path, 'namespace'], `namespace "${literal}" is not one of the runbook's namespaces: ${scope.namespaces.join(', ')}`);
  }
  const name = compileTemplate(raw.name, [...path, 'name'], counted.scope);
  const count = (field: 'replicas' | 'delta' | 'to_revision'): Template | undefined => {
    const value = raw[field];
    if (value === undefined) return undefined;
    return typeof value === 'number' ? { parts: [{ kind: 'literal', text: String(value) }] } : compileTemplate(value, [...path, field], counted.scope);
  };
  const replicas = count('replicas');
  const delta = count('delta');
  const toRevision = count('to_revision');
  if (counted.count() > 0 || !namespace || !name) return undefined;
  const spec: KubernetesSpec = { executor: 'kubernetes', op: raw.op, namespace, name, namespaces: [...(scope.namespaces ?? [])] };
  if (replicas) spec.replicas = replicas;
  if (delta) spec.delta = delta;
  if (toRevision) spec.toRevision = toRevision;
  return spec;
}

export function compileProbe(raw: RawProbe, path: readonly PathSegment[], scope: StepScope): ExecutorSpec | undefined {
  const kinds = (['exec', 'http', 'kubernetes'] as const).filter((kind) => raw[kind] !== undefined);
  if (kinds.length !== 1) {
    scope.report(path, `a probe needs exactly one of "exec", "http" or "kubernetes", found ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`);
    return undefined;
  }
  if (raw.kubernetes) return compileKubernetes(raw.kubernetes, [...path, 'kubernetes'], scope, 'probe');
  return raw.exec ? compileExec(raw.exec, [...path, 'exec'], scope) : compileHttp(raw.http!, [...path, 'http'], scope);
}

export function compileCondition(expr: string, path: readonly PathSegment[], scope: StepScope, celScope: CelScope): CelExpr | undefined {
  const checked = checkCondition(expr, celScope);
  if (!checked.ok) {
    scope.report(path, `invalid CEL condition: ${checked.message}`, { offset: checked.offset });
    return undefined;
  }
  return { cel: expr };
}

export function positiveDuration(raw: string | number | undefined, fallback: number, path: readonly PathSegment[], report: Report): number {
  if (raw === undefined) return fallback;
  const ms = durationMs(raw);
  if (ms <= 0) report(path, `expected a duration greater than zero, found ${JSON.stringify(raw)}`);
  return ms;
}

/** An action, rollback step or wait. Adds its outputs to `outputs` for the steps after it. */
export function compileStep(
  raw: RawStep,
  path: readonly PathSegment[],
  scope: StepScope,
  outputs: Map<string, Set<string>>,
): ExecutionStep | undefined {
  const kinds = (['exec', 'http', 'kubernetes', 'wait'] as const).filter((kind) => raw[kind] !== undefined);
  if (kinds.length !== 1) {
    scope.report(path, `a step needs exactly one of "exec", "http", "kubernetes" or "wait", found ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`);
    return undefined;
  }
  const counted = countingScope(scope);
  const when = raw.when === undefined ? undefined : compileCondition(raw.when, [...path, 'when'], counted.scope, { context: scope.context, result: false });
  let step: ExecutionStep | undefined;
  if (raw.wait !== undefined) {
    for (const field of ['timeout', 'retries', 'outputs'] as const) {
      if (raw[field] !== undefined) counted.scope.report([...path, field], `a wait step takes no "${field}"`, { key: true });
    }
    const duration = positiveDuration(raw.wait, 0, [...path, 'wait'], counted.scope.report);
    step = { kind: 'wait', id: raw.id, durationMs: duration };
  } else {
    const run = raw.exec
      ? compileExec(raw.exec, [...path, 'exec'], counted.scope)
      : raw.http
        ? compileHttp(raw.http, [...path, 'http'], counted.scope)
        : compileKubernetes(raw.kubernetes!, [...path, 'kubernetes'], counted.scope, 'step');
    const stepOutputs: Record<string, CelExpr> = {};
    for (const [name, expr] of Object.entries(raw.outputs ?? {})) {
      const checked = checkExpr(expr, { context: scope.context, result: true });
      if (checked.ok) stepOutputs[name] = { cel: expr };
      else counted.scope.report([...path, 'outputs', name], `invalid CEL output: ${checked.message}`, { offset: checked.offset });
    }
    const timeoutMs = positiveDuration(raw.timeout, ACTION_TIMEOUT_MS, [...path, 'timeout'], counted.scope.report);
    if (run) {
      step = {
        kind: 'action',
        id: raw.id,
        description: raw.description ?? describeExecutor(run),
        run,
        timeoutMs,
        retries: raw.retries ?? 0,
        outputs: stepOutputs,
      };
    }
    if (raw.outputs) outputs.set(raw.id, new Set(Object.keys(raw.outputs)));
  }
  if (!step || counted.count() > 0) return undefined;
  if (when) step.when = when;
  return step;
}

/** Wrap a scope so a caller can tell whether its part reported anything. */
export function countingScope(scope: StepScope): { scope: StepScope; count: () => number } {
  let count = 0;
  return {
    scope: {
      ...scope,
      report: (path, message, at) => {
        count += 1;
        scope.report(path, message, at);
      },
    },
    count: () => count,
  };
}

function describeExecutor(spec: ExecutorSpec): string {
  if (spec.executor === 'exec') return spec.argv.map(templateSource).join(' ');
  if (spec.executor === 'http') return `${spec.method} ${templateSource(spec.url)}`;
  return `kubernetes ${spec.op} ${templateSource(spec.namespace)}/${templateSource(spec.name)}`;
}
