/**
 * The step types as they were when render-v1 was frozen (before `placeholder-rules`): three step
 * kinds (exec, http, kubernetes). Frozen with it, so that a step kind or parameter type added to
 * dsl/types does not reach into the old renderer's logic. Runs that replay with it recorded only
 * these kinds; today's types are assignable to these, and when a kind is added they stop being so
 * at the one place that hands a runbook to the old renderer (workflows/renderer.ts), where
 * `isV1Spec` narrows a spec back to these kinds.
 */
import type { Incident } from '../types';

export type { Incident };

export type ParamTypeV1 = 'string' | 'int' | 'number' | 'bool' | 'dns_label' | 'dns_subdomain';

export interface ParamDeclV1 {
  type: ParamTypeV1;
  required: boolean;
  description?: string;
}

export interface CelExprV1 {
  cel: string;
}

export interface TemplateV1 {
  parts: TemplatePartV1[];
}
export type TemplatePartV1 = { kind: 'literal'; text: string } | { kind: 'placeholder'; path: string[] };

export type TemplateValueV1 =
  | { kind: 'template'; template: TemplateV1 }
  | { kind: 'literal'; value: number | boolean | null }
  | { kind: 'list'; items: TemplateValueV1[] }
  | { kind: 'object'; entries: Record<string, TemplateValueV1> };

export interface ExecSpecV1 {
  executor: 'exec';
  argv: TemplateV1[];
  env: Record<string, TemplateV1>;
  cwd?: string;
  okExitCodes: number[];
}

export interface HttpSpecV1 {
  executor: 'http';
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  url: TemplateV1;
  headers: Record<string, TemplateV1>;
  body?: TemplateValueV1;
  okStatuses: number[];
}

export type KubernetesOpV1 = 'get_pod' | 'get_deployment' | 'delete_pod' | 'scale' | 'rollout_restart' | 'rollout_undo';

export interface KubernetesSpecV1 {
  executor: 'kubernetes';
  op: KubernetesOpV1;
  namespace: TemplateV1;
  name: TemplateV1;
  replicas?: TemplateV1;
  delta?: TemplateV1;
  toRevision?: TemplateV1;
  namespaces: string[];
}

export type ExecutorSpecV1 = ExecSpecV1 | HttpSpecV1 | KubernetesSpecV1;

export interface ResolvedExecV1 {
  executor: 'exec';
  argv: string[];
  env: Record<string, string>;
  cwd?: string;
  okExitCodes: number[];
}

export interface ResolvedHttpV1 {
  executor: 'http';
  method: HttpSpecV1['method'];
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  okStatuses: number[];
}

export interface ResolvedKubernetesV1 {
  executor: 'kubernetes';
  op: KubernetesOpV1;
  namespace: string;
  name: string;
  replicas?: string;
  delta?: string;
  toRevision?: string;
  namespaces: string[];
}

export type ResolvedExecutorV1 = ResolvedExecV1 | ResolvedHttpV1 | ResolvedKubernetesV1;

export type CheckOriginV1 = 'stdlib' | 'file' | 'file_override' | 'inline';

interface StepBaseV1 {
  id: string;
  when?: CelExprV1;
}

export interface CheckStepV1 extends StepBaseV1 {
  kind: 'check';
  check: string;
  origin: CheckOriginV1;
  description: string;
  probe?: ExecutorSpecV1;
  condition: CelExprV1;
  timeoutMs: number;
  deadlineMs: number;
  intervalMs: number;
}

export interface ActionStepV1 extends StepBaseV1 {
  kind: 'action';
  description: string;
  run: ExecutorSpecV1;
  timeoutMs: number;
  retries: number;
  outputs: Record<string, CelExprV1>;
}

export interface WaitStepV1 extends StepBaseV1 {
  kind: 'wait';
  durationMs: number;
}

export type ExecutionStepV1 = ActionStepV1 | WaitStepV1;
export type StepV1 = CheckStepV1 | ExecutionStepV1;

export type RollbackV1 = { kind: 'self_healing' } | { kind: 'steps'; steps: ExecutionStepV1[] } | { kind: 'undeclared' };

/** The parts of a compiled runbook the old renderer reads. */
export interface RunbookV1 {
  context: Record<string, ParamDeclV1> | null;
  preChecks: CheckStepV1[];
  actions: ExecutionStepV1[];
  postChecks: CheckStepV1[];
  rollback: RollbackV1;
}

export type PlanPhaseV1 = 'pre_check' | 'action' | 'post_check' | 'rollback';

interface PlannedBaseV1 {
  phase: PlanPhaseV1;
  id: string;
  when?: string;
  deferred: string[];
}

export type PlannedStepV1 =
  | (PlannedBaseV1 & {
      kind: 'check';
      check: string;
      origin: CheckOriginV1;
      description: string;
      condition: string;
      probe?: ResolvedExecutorV1;
      timeoutMs: number;
      deadlineMs: number;
      intervalMs: number;
    })
  | (PlannedBaseV1 & {
      kind: 'action';
      description: string;
      run: ResolvedExecutorV1;
      timeoutMs: number;
      retries: number;
      outputs: Record<string, string>;
    })
  | (PlannedBaseV1 & { kind: 'wait'; durationMs: number });

/** Whether a spec is of a kind the old renderer knows (a run recorded before `placeholder-rules` holds no other). */
export function isV1Spec<S extends { executor: string }>(spec: S): spec is Extract<S, { executor: ExecutorSpecV1['executor'] }> {
  return spec.executor === 'exec' || spec.executor === 'http' || spec.executor === 'kubernetes';
}
