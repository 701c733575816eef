import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { compileCatalogue } from '../../dsl/compile';
import type { CompiledCatalogue, CompiledRunbook, CompileError } from '../../dsl/types';

export const SEED_RUNBOOKS = readFileSync(new URL('../fixtures/seed/runbooks.yaml', import.meta.url), 'utf8');
export const CATALOGUE = readFileSync(new URL('../../runbooks/catalogue.yaml', import.meta.url), 'utf8');

export function seedIncident(n: 1 | 2 | 3 | 4): unknown {
  return JSON.parse(readFileSync(new URL(`../fixtures/seed/INC00${n}.json`, import.meta.url), 'utf8'));
}

export function compileOk(text: string, file = 'test.yaml'): CompiledCatalogue {
  const result = compileCatalogue([{ file, text }]);
  if (!result.ok)
    throw new Error(`expected no errors, got:\n${result.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`).join('\n')}`);
  return result.catalogue;
}

export function compileErrors(text: string, file = 'test.yaml'): CompileError[] {
  const result = compileCatalogue([{ file, text }]);
  if (result.ok) throw new Error('expected compile errors, got none');
  return result.errors;
}

/** A read of the pod the incident names: what makes a post-check live. */
export const LIVE_POD_PROBE = { kubernetes: { op: 'get_pod', namespace: '{namespace}', name: '{pod_name}' } };

/** A valid typed runbook; tests change one thing at a time. */
export function typedRunbook(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    risk: 'LOW',
    root_causes: ['pod_crash_loop'],
    min_confidence: 0.8,
    context: {
      pod_name: 'dns_subdomain',
      namespace: 'dns_label',
      replicas: { type: 'int', required: false },
    },
    pre_checks: ['replicas_greater_than_one'],
    actions: [{ id: 'delete', exec: { argv: ['kubectl', 'delete', 'pod', '{pod_name}', '-n', '{namespace}'] } }],
    // Verification reads the live system (an automatic runbook must): the pod, through the Kubernetes API.
    post_checks: [{ id: 'ready', probe: LIVE_POD_PROBE, condition: 'result.json.exists && has(context.replicas)' }],
    rollback: null,
    ...overrides,
  };
}

export function fileWith(runbooks: Record<string, Record<string, unknown>>, extra: Record<string, unknown> = {}): string {
  return stringify({ runbooks, ...extra });
}

export function onlyRunbook(catalogue: CompiledCatalogue): CompiledRunbook {
  if (catalogue.runbooks.length !== 1) throw new Error(`expected one runbook, got ${catalogue.runbooks.length}`);
  return catalogue.runbooks[0]!;
}

export function messages(errors: CompileError[]): string[] {
  return errors.map((e) => e.message);
}
