/**
 * The operator's queries for standard Prometheus checks (policy `prometheus.check_queries`): a name
 * that is no standard Prometheus check, or a query that does not compile, is an error at its place in
 * the policy file; a good one replaces that check's query wherever the catalogue uses it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileCatalogue } from '../../dsl/compile';
import { renderPlan } from '../../dsl/render-plan';
import type { CompiledCatalogue, Incident } from '../../dsl/types';
import { parseOperatorPolicy, PolicyFileError, type PolicyError } from '../../worker/operator-policy';

const SEED = readFileSync(new URL('../fixtures/seed/runbooks.yaml', import.meta.url), 'utf8');
const CATALOGUE = readFileSync(new URL('../../runbooks/catalogue.yaml', import.meta.url), 'utf8');
const OURS = 'max(job:request_errors:ratio5m{kubernetes_namespace="{namespace}",app="{deployment}"})';

function policyErrors(text: string): PolicyError[] {
  try {
    parseOperatorPolicy('policy.yaml', text);
  } catch (error) {
    if (error instanceof PolicyFileError) return error.errors;
    throw error;
  }
  throw new Error('expected policy errors');
}

function compiled(text: string, checkQueries?: ReadonlyMap<string, string>): CompiledCatalogue {
  const result = compileCatalogue([{ file: 'runbooks.yaml', text }], checkQueries ? { checkQueries } : {});
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.path}: ${e.message}`).join('\n'));
  return result.catalogue;
}

const incident = (context: Record<string, unknown>): Incident => ({
  id: 'INC2',
  root_cause: 'error_rate_spike_after_deploy',
  confidence: 0.95,
  service: 'checkout',
  services: ['checkout'],
  symptoms: [],
  context,
});

describe('prometheus.check_queries in the operator policy', () => {
  it('loads as a map from check name to query', () => {
    const policy = parseOperatorPolicy('policy.yaml', `prometheus:\n  check_queries:\n    error_rate_normalized: '${OURS}'\n`);
    expect([...policy.checkQueries]).toEqual([['error_rate_normalized', OURS]]);
    expect(parseOperatorPolicy('policy.yaml', '').checkQueries.size).toBe(0);
  });

  it('refuses a name that is not a standard Prometheus check, at its key, with did-you-mean', () => {
    const text = `prometheus:\n  check_queries:\n    error_rate_normalised: 'up'\n    pod_becomes_ready: 'up'\n`;
    expect(policyErrors(text)).toEqual([
      expect.objectContaining({
        line: 3,
        column: 5,
        path: 'prometheus.check_queries.error_rate_normalised',
        message: expect.stringMatching(
          /^"error_rate_normalised" is not a standard Prometheus check \(did you mean "error_rate_normalized"\?\); these are: metrics_improved, /,
        ),
      }),
      expect.objectContaining({ line: 4, path: 'prometheus.check_queries.pod_becomes_ready' }),
    ]);
  });

  it('refuses a query that does not compile, at the place in the query', () => {
    const text = `prometheus:\n  check_queries:\n    metrics_improved: 'max(cpu{pod=~"{pod_name}"})'\n`;
    expect(policyErrors(text)).toEqual([
      expect.objectContaining({
        line: 3,
        column: 38, // the placeholder, inside the quoted query
        path: 'prometheus.check_queries.metrics_improved',
        message: expect.stringMatching(
          /^the query does not compile: a placeholder in PromQL may only fill the label value of an equality matcher/,
        ),
      }),
    ]);
  });
});

describe('the compile option checkQueries', () => {
  it('replaces the standard query where the reference exercise uses the check; the plan shows the query used and the version changes', () => {
    const standard = compiled(SEED).runbooks.find((r) => r.id === 'rollback-deployment')!;
    const replaced = compiled(SEED, new Map([['error_rate_normalized', OURS]])).runbooks.find((r) => r.id === 'rollback-deployment')!;
    const planned = renderPlan(replaced, incident({ deployment: 'checkout', namespace: 'production' })).find(
      (s) => s.id === 'post.error_rate_normalized',
    );
    expect(planned).toMatchObject({
      kind: 'check',
      origin: 'stdlib',
      probe: { executor: 'prometheus', query: 'max(job:request_errors:ratio5m{kubernetes_namespace="production",app="checkout"})' },
      condition: standard.postChecks[0]!.condition.cel,
    });
    expect(replaced.version).not.toBe(standard.version);
    expect(
      renderPlan(standard, incident({ deployment: 'checkout', namespace: 'production' })).find(
        (s) => s.id === 'post.error_rate_normalized',
      ),
    ).toMatchObject({
      probe: { query: 'max(namespace_deployment:http_errors:ratio_rate1m{namespace="production",deployment="checkout"})' },
    });
  });

  it("checks the replacement's placeholders against each runbook's declared context, naming the policy key", () => {
    const result = compileCatalogue([{ file: 'runbooks/catalogue.yaml', text: CATALOGUE }], {
      checkQueries: new Map([['error_rate_normalized', 'max(errors{service="{service_name}"})']]),
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      expect.objectContaining({
        file: 'runbooks/catalogue.yaml',
        path: 'runbooks.rollback-deployment.post_checks[1]',
        message: expect.stringMatching(
          /^check "error_rate_normalized" \(standard library, query from the operator policy's prometheus\.check_queries\.error_rate_normalized\): placeholder \{service_name\} is not declared/,
        ),
      }),
    ]);
  });

  it('refuses a name that is not a standard Prometheus check, or a query that does not compile, naming the policy key', () => {
    const result = compileCatalogue([{ file: 'runbooks.yaml', text: SEED }], {
      checkQueries: new Map([
        ['deployment_exists', 'up'],
        ['metrics_improved', 'max(cpu{pod={pod_name}})'],
      ]),
    });
    expect(result.ok || result.errors.map((e) => [e.path, e.message.split(':')[0]])).toEqual([
      ['prometheus.check_queries.deployment_exists', '"deployment_exists" is not a standard Prometheus check; these are'],
      ['prometheus.check_queries.metrics_improved', 'the query does not compile'],
    ]);
  });
});
