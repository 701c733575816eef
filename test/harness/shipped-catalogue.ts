/** The shipped catalogue, compiled for tests that run it on the local cluster. */
import { readFileSync } from 'node:fs';
import { compileCatalogue } from '../../dsl/compile';
import type { CompiledCatalogue } from '../../dsl/types';

const FILE = new URL('../../runbooks/catalogue.yaml', import.meta.url);

/**
 * runbooks/catalogue.yaml as shipped, with one change: verification windows shortened from minutes
 * to seconds (deadline at most 15 s, polled every second), so a verification that fails does so
 * within a test's time. Steps, conditions, guardrails and rollbacks are the shipped ones.
 */
export function shippedCatalogue(): CompiledCatalogue {
  const compiled = compileCatalogue([{ file: 'runbooks/catalogue.yaml', text: readFileSync(FILE, 'utf8') }]);
  if (!compiled.ok) throw new Error(`runbooks/catalogue.yaml does not compile: ${compiled.errors.map((e) => e.message).join('; ')}`);
  for (const runbook of compiled.catalogue.runbooks) {
    for (const check of runbook.postChecks) {
      check.deadlineMs = Math.min(check.deadlineMs, 15_000);
      check.intervalMs = Math.min(check.intervalMs, 1_000);
    }
  }
  return compiled.catalogue;
}
