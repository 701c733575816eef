/**
 * What one step kind (an executor a step runs: exec, http, kubernetes) is made of, in one module
 * each under dsl/steps/, like ajv's one file per keyword: its part of the runbook schema, its
 * compiler, the templates it holds and where each lands, its renderer, and how it and its result
 * are described. dsl/steps/index.ts registers them; activities/executors/ runs them.
 */
import type { Definition } from '../schema-builder';
import type { ExecutorKind, KindResolved, KindResult, KindSpec, Template } from '../types';
import type { PathSegment } from '../yaml-source';
import type { StepScope } from './support';

/**
 * Where a rendered template lands, which decides what a value may contain. `line`: one argument,
 * header, variable or Kubernetes field (no line breaks); `url` and `body` are encoded; `promql`: the
 * inside of a double-quoted PromQL string, escaped.
 */
export type Sink = 'line' | 'url' | 'body' | 'promql';

/** The rules of one template's destination, beyond its sink. */
export type Slot =
  | { sink: 'line'; at: string }
  /** An argv element: a value may not start it with "-" unless a literal "--" came before. */
  | { sink: 'line'; at: string; argv: { afterDashDash: boolean } }
  /** A Kubernetes namespace or name: the rendered field must be this kind of DNS name. */
  | { sink: 'line'; at: string; dns: 'dns_label' | 'dns_subdomain' }
  | { sink: 'url'; at: string }
  | { sink: 'body'; at: string }
  | { sink: 'promql'; at: string };

export interface PlacedTemplate {
  template: Template;
  slot: Slot;
}

/** Fills templates for a kind's renderer (dsl/render.ts: placeholder values, refusals, deferred outputs). */
export interface Filler {
  text(template: Template, slot: Slot): string;
  /** A body string: one that is exactly one placeholder keeps the value's JSON type (5 stays a number). */
  json(template: Template): unknown;
}

/** Whether the compiled spec is a probe (read-only, retried freely) or a step's run. */
export type SpecUse = 'probe' | 'step';

export interface StepKindModule<K extends ExecutorKind, Raw> {
  readonly kind: K;
  /** Its definition in the runbook schema (dsl/runbook-schema.ts puts it under a step's and a probe's key `kind`). */
  readonly schema: Definition<Raw>;
  compile(raw: Raw, path: readonly PathSegment[], scope: StepScope, use: SpecUse): KindSpec<K> | undefined;
  /** Every template in the spec, in render order, with where it lands (for checking an incident's context). */
  templates(spec: KindSpec<K>): PlacedTemplate[];
  render(spec: KindSpec<K>, fill: Filler): KindResolved<K>;
  /**
   * The default description of an action that has none, from its compiled (unrendered) form. It is
   * part of the compiled runbook and so of its version hash: kept as it was, not `describe`.
   */
  describeSpec(spec: KindSpec<K>): string;
  /** One line for people, the same in plans, the audit trail, status and the timeline. */
  describe(run: KindResolved<K>): string;
  /** What a run of it returned, in a few words, the same everywhere it is shown. */
  describeResult(result: KindResult<K>): string;
}
