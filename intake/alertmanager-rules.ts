/**
 * The operator's Alertmanager mapping rules as the policy loader produces them (worker/alertmanager-policy.ts)
 * and intake/alertmanager.ts applies them: which alerts a rule takes, and where each incident field comes from.
 */
import type { ParamType } from '../dsl/types';

/** A value read from the alert's labels or annotations, or a literal the rule gives. */
export type ValueSource = { kind: 'label'; name: string } | { kind: 'annotation'; name: string } | { kind: 'literal'; value: string };

/** Every matcher of a rule must hold; a regex is anchored (the whole label value must match). */
export type LabelMatcher = { label: string; kind: 'equals'; value: string } | { label: string; kind: 'regex'; regex: RegExp };

export interface ContextMapping {
  field: string;
  source: ValueSource;
  type: ParamType;
}

export interface AlertmanagerRule {
  name: string;
  matchers: LabelMatcher[];
  rootCause: string;
  service: ValueSource;
  /** From a label or annotation, parsed as a number in [0, 1]; `fallback` when absent or not such a number. */
  confidence: { source?: ValueSource; fallback?: number };
  context: ContextMapping[];
}

export function describeSource(source: ValueSource): string {
  switch (source.kind) {
    case 'label':
      return `label ${JSON.stringify(source.name)}`;
    case 'annotation':
      return `annotation ${JSON.stringify(source.name)}`;
    case 'literal':
      return "the rule's literal value";
  }
}
