/**
 * The step kinds, registered: one module each. The mapped type makes a kind added to
 * `ExecutorSpec` (dsl/types.ts) a compile error here until its module exists with every piece,
 * and every use below is a lookup in this table, never an "otherwise it is HTTP".
 */
import type { ExecutorKind, ExecutorSpec, KindResolved, KindResult } from '../types';
import type { PathSegment } from '../yaml-source';
import { execStep, type RawExec } from './exec';
import { httpStep, type RawHttp } from './http';
import type { SpecUse, StepKindModule } from './kind';
import { kubernetesStep, type RawKubernetes } from './kubernetes';
import { prometheusStep, type RawPrometheus } from './prometheus';
import type { StepScope } from './support';

/** The source form of each kind: a step's or probe's value under the kind's key. */
export interface RawKinds {
  exec: RawExec;
  http: RawHttp;
  kubernetes: RawKubernetes;
  prometheus: RawPrometheus;
}

type StepKinds = { [K in ExecutorKind]: StepKindModule<K, RawKinds[K]> };

export const STEP_KINDS: StepKinds = { exec: execStep, http: httpStep, kubernetes: kubernetesStep, prometheus: prometheusStep };

/** In the order messages list them. */
export const EXECUTOR_KINDS = Object.keys(STEP_KINDS) as ExecutorKind[];

/** Every kind must also have its resolved form and its result in dsl/types.ts. */
type Incomplete = {
  [K in ExecutorKind]: [KindResolved<K>] extends [never] ? K : [KindResult<K>] extends [never] ? K : never;
}[ExecutorKind];
const complete: [Incomplete] extends [never] ? true : Incomplete = true;
void complete;

/** The module of a kind; `kind` may come from a decoded payload, so it is checked. */
export function stepKind<K extends ExecutorKind>(kind: K): StepKindModule<K, RawKinds[K]> | undefined {
  return Object.prototype.hasOwnProperty.call(STEP_KINDS, kind) ? STEP_KINDS[kind] : undefined;
}

/** `"exec", "http", "kubernetes" or "prometheus"`. */
export function listKinds(kinds: readonly string[]): string {
  const quoted = kinds.map((kind) => `"${kind}"`);
  return quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}` : (quoted[0] ?? '');
}

/** The kinds a step or probe names (exactly one is valid). */
export function kindsIn(raw: Partial<RawKinds>): ExecutorKind[] {
  return EXECUTOR_KINDS.filter((kind) => raw[kind] !== undefined);
}

/** Compiles the spec of the one kind `raw` names (the caller checked there is exactly one). */
export function compileKind<K extends ExecutorKind>(
  kind: K,
  raw: RawKinds[K],
  path: readonly PathSegment[],
  scope: StepScope,
  use: SpecUse,
): ExecutorSpec | undefined {
  return STEP_KINDS[kind].compile(raw, [...path, kind], scope, use);
}
