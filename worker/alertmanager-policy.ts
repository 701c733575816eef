/**
 * The operator policy's `alertmanager:` section (docs/operator-policy.md): the rules that turn an
 * Alertmanager alert into an incident. The schema has checked every key; this checks what needs more
 * than one field: exactly one value source each, regular expressions that compile, distinct rule names.
 */
import type { Diagnostics } from '../dsl/diagnostics';
import type { PathSegment } from '../dsl/yaml-source';
import type { AlertmanagerRule, ContextMapping, LabelMatcher, ValueSource } from '../intake/alertmanager-rules';
import type { RawOperatorPolicy } from './operator-policy-schema';

type RawRule = NonNullable<NonNullable<RawOperatorPolicy['alertmanager']>['rules']>[number];
interface RawSource {
  label?: string;
  annotation?: string;
  value?: string;
}

export function alertmanagerRulesOf(raw: RawOperatorPolicy, diag: Diagnostics): AlertmanagerRule[] {
  const seen = new Set<string>();
  return (raw.alertmanager?.rules ?? []).map((rule, i) => {
    const path: PathSegment[] = ['alertmanager', 'rules', i];
    if (seen.has(rule.name)) diag.error([...path, 'name'], `rule "${rule.name}" is defined twice: rule names must be distinct`);
    seen.add(rule.name);
    return ruleOf(rule, path, diag);
  });
}

function ruleOf(rule: RawRule, path: PathSegment[], diag: Diagnostics): AlertmanagerRule {
  const matchers: LabelMatcher[] = Object.entries(rule.match ?? {}).map(([label, value]) => ({ label, kind: 'equals', value }));
  for (const [label, pattern] of Object.entries(rule.match_re ?? {})) {
    const regex = compileAnchored(pattern, [...path, 'match_re', label], diag);
    if (regex) matchers.push({ label, kind: 'regex', regex });
  }
  if (matchers.length === 0)
    diag.error(path, 'a rule needs at least one matcher under match or match_re: a rule without one takes every alert', { key: true });
  const confidenceSource =
    rule.confidence.label !== undefined || rule.confidence.annotation !== undefined
      ? sourceOf(rule.confidence, [...path, 'confidence'], diag)
      : undefined;
  if (!confidenceSource && rule.confidence.default === undefined) {
    diag.error([...path, 'confidence'], 'expected a label or annotation to read the confidence from, or a default (a number in [0, 1])');
  }
  const context: ContextMapping[] = Object.entries(rule.context ?? {}).map(([field, mapping]) => ({
    field,
    source: sourceOf(mapping, [...path, 'context', field], diag),
    type: mapping.type ?? 'string',
  }));
  const confidence: AlertmanagerRule['confidence'] = {};
  if (confidenceSource) confidence.source = confidenceSource;
  if (rule.confidence.default !== undefined) confidence.fallback = rule.confidence.default;
  return {
    name: rule.name,
    matchers,
    rootCause: rule.root_cause,
    service: sourceOf(rule.service, [...path, 'service'], diag),
    confidence,
    context,
  };
}

function sourceOf(raw: RawSource, path: PathSegment[], diag: Diagnostics): ValueSource {
  const given = (['label', 'annotation', 'value'] as const).filter((key) => raw[key] !== undefined);
  if (given.length !== 1) {
    diag.error(path, `expected exactly one of label, annotation or value, found ${given.length === 0 ? 'none' : given.join(' and ')}`);
  }
  if (raw.label !== undefined) return { kind: 'label', name: raw.label };
  if (raw.annotation !== undefined) return { kind: 'annotation', name: raw.annotation };
  return { kind: 'literal', value: raw.value ?? '' };
}

function compileAnchored(pattern: string, path: PathSegment[], diag: Diagnostics): RegExp | undefined {
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch (error) {
    diag.error(path, `not a regular expression: ${(error as Error).message}`);
    return undefined;
  }
}
