/**
 * The kubernetes step kind: one call to the Kubernetes API, in a namespace the runbook allows.
 * activities/executors/kubernetes.ts runs it and documents each operation's `result.json`.
 */
import { anyOf, define, int, obj, str, strEnum, type Static } from '../schema-builder';
import { isLiteral, templateSource } from '../template';
import type { KubernetesOp, KubernetesSpec, ResolvedKubernetes, Template } from '../types';
import type { PathSegment } from '../yaml-source';
import type { PlacedTemplate, Slot, SpecUse, StepKindModule } from './kind';
import { compileTemplate, countingScope, leadingLiteral, type StepScope } from './support';

/** A count: a whole number, or a {placeholder} (a step output such as {steps.scale.previousReplicas}). */
const count = (description: string, minimum?: number) =>
  anyOf([int(minimum === undefined ? {} : { minimum }), str({ minLength: 1 })], { description });

const schema = define(
  'kubernetes',
  obj(
    {
      op: strEnum(['get_pod', 'get_deployment', 'delete_pod', 'scale', 'rollout_restart', 'rollout_undo'], {
        description: 'get_pod and get_deployment read (probes may only read); the others change the cluster.',
      }),
      namespace: str({
        minLength: 1,
        description:
          "Namespace; must be one of the runbook's `namespaces` (a probe in a runbook that lists none: one the operator allows).",
      }),
      name: str({ minLength: 1, description: 'The pod (delete_pod, get_pod) or the deployment (the others).' }),
      replicas: count('scale: the replica count to set (0 scales to zero).', 0),
      delta: count('scale: the change to the current replica count (e.g. 1, or -1).'),
      to_revision: count('rollout_undo: the revision to return to (default: the previous one).', 1),
    },
    { required: ['op', 'namespace', 'name'], description: 'Call the Kubernetes API (no kubectl); the result is `result.json`.' },
  ),
);

export type RawKubernetes = Static<typeof schema>;

/** Operations that only read: the only ones a probe (a check, run and retried freely) may use. */
export const KUBERNETES_READS: ReadonlySet<KubernetesOp> = new Set(['get_pod', 'get_deployment']);

type CountField = 'replicas' | 'delta' | 'to_revision';

/** Checks of the fields against each other and the runbook's namespaces; reported, nothing returned. */
function checkFields(raw: RawKubernetes, path: readonly PathSegment[], scope: StepScope, use: SpecUse): void {
  const report = scope.report;
  if (use === 'probe' && !KUBERNETES_READS.has(raw.op)) {
    report(
      [...path, 'op'],
      `a probe may only read (${[...KUBERNETES_READS].join(' or ')}), but "${raw.op}" changes the cluster; make it an action`,
    );
  }
  const allowed: Partial<Record<CountField, KubernetesOp>> = { replicas: 'scale', delta: 'scale', to_revision: 'rollout_undo' };
  for (const [field, op] of Object.entries(allowed)) {
    if (raw[field as CountField] !== undefined && raw.op !== op)
      report([...path, field], `"${field}" is only for op ${op}, not ${raw.op}`, { key: true });
  }
  if (raw.op === 'scale' && (raw.replicas === undefined) === (raw.delta === undefined)) {
    report(
      path,
      `scale needs exactly one of "replicas" (a count) or "delta" (a change), found ${raw.replicas === undefined ? 'neither' : 'both'}`,
    );
  }
  if (raw.delta === 0) report([...path, 'delta'], 'a delta of 0 changes nothing');
  // Namespaces are checked where a runbook uses the step; a shared check definition has no runbook yet.
  // A probe only reads: in a runbook that lists none it may read where the operator allows
  // (REMEDIATE_K8S_NAMESPACES, checked by the executor), so the reference exercise's bare check names compile.
  if (use === 'step' && scope.namespaces !== undefined && scope.namespaces.length === 0) {
    report(path, 'a kubernetes step acts only in namespaces its runbook allows: add "namespaces: [...]" to the runbook');
  }
}

function compile(raw: RawKubernetes, path: readonly PathSegment[], scope: StepScope, use: SpecUse): KubernetesSpec | undefined {
  const counted = countingScope(scope);
  const report = counted.scope.report;
  checkFields(raw, path, counted.scope, use);
  const namespace = compileTemplate(raw.namespace, [...path, 'namespace'], counted.scope);
  const literal = namespace && isLiteral(namespace) ? leadingLiteral(namespace) : undefined;
  if (literal !== undefined && scope.namespaces?.length && !scope.namespaces.includes(literal)) {
    report([...path, 'namespace'], `namespace "${literal}" is not one of the runbook's namespaces: ${scope.namespaces.join(', ')}`);
  }
  const name = compileTemplate(raw.name, [...path, 'name'], counted.scope);
  const compileCount = (field: CountField): Template | undefined => {
    const value = raw[field];
    if (value === undefined) return undefined;
    return typeof value === 'number'
      ? { parts: [{ kind: 'literal', text: String(value) }] }
      : compileTemplate(value, [...path, field], counted.scope);
  };
  const replicas = compileCount('replicas');
  const delta = compileCount('delta');
  const toRevision = compileCount('to_revision');
  if (counted.count() > 0 || !namespace || !name) return undefined;
  const spec: KubernetesSpec = { executor: 'kubernetes', op: raw.op, namespace, name, namespaces: [...(scope.namespaces ?? [])] };
  if (replicas) spec.replicas = replicas;
  if (delta) spec.delta = delta;
  if (toRevision) spec.toRevision = toRevision;
  return spec;
}

/** Pods and deployments are named by DNS subdomains, namespaces by DNS labels: neither can hold "/" or start with "-". */
const SLOTS = {
  namespace: { sink: 'line', at: 'namespace', dns: 'dns_label' },
  name: { sink: 'line', at: 'name', dns: 'dns_subdomain' },
  count: { sink: 'line', at: 'count' },
} as const satisfies Record<string, Slot>;

function templates(spec: KubernetesSpec): PlacedTemplate[] {
  return [
    { template: spec.namespace, slot: SLOTS.namespace },
    { template: spec.name, slot: SLOTS.name },
    ...[spec.replicas, spec.delta, spec.toRevision]
      .filter((t): t is Template => t !== undefined)
      .map((template) => ({ template, slot: SLOTS.count })),
  ];
}

/** `kubernetes scale production/worker delta=1`. */
function describe(run: ResolvedKubernetes): string {
  const counts = (['replicas', 'delta', 'toRevision'] as const)
    .filter((field) => run[field] !== undefined)
    .map((field) => ` ${field}=${run[field]}`);
  return `kubernetes ${run.op} ${run.namespace}/${run.name}${counts.join('')}`;
}

/** Counts stay rendered text, like every other resolved field: the executor parses and checks them. */
export const kubernetesStep: StepKindModule<'kubernetes', RawKubernetes> = {
  kind: 'kubernetes',
  schema,
  compile,
  templates,
  render(spec, fill) {
    const resolved: ResolvedKubernetes = {
      executor: 'kubernetes',
      op: spec.op,
      namespace: fill.text(spec.namespace, SLOTS.namespace),
      name: fill.text(spec.name, SLOTS.name),
      namespaces: spec.namespaces,
    };
    if (spec.replicas) resolved.replicas = fill.text(spec.replicas, { sink: 'line', at: 'replicas' });
    if (spec.delta) resolved.delta = fill.text(spec.delta, { sink: 'line', at: 'delta' });
    if (spec.toRevision) resolved.toRevision = fill.text(spec.toRevision, { sink: 'line', at: 'to_revision' });
    return resolved;
  },
  describeSpec: (spec) => `kubernetes ${spec.op} ${templateSource(spec.namespace)}/${templateSource(spec.name)}`,
  describe,
  /** Whether it worked, the API's status when one answered, and what was done or refused. */
  describeResult: (result) =>
    `${result.ok ? 'ok' : 'failed'}${result.status ? ` (HTTP ${result.status})` : ''}${result.message ? `: ${result.message}` : ''}`,
};
