/**
 * What the demo plays: the seed's four exercise incidents (module 6.6, INC001..INC004) against the
 * workloads that raised them (demo/cluster.ts), handled by the demo runbooks.
 */
import { readFile } from 'node:fs/promises';
import { compileCatalogue } from '../dsl/compile';
import type { CompiledCatalogue, Incident } from '../dsl/types';
import { sourceFile } from '../toolchain/source-file';

/** The only namespace the demo runbooks may act in (demo/runbooks.yaml); the demo creates it. */
export const DEMO_NAMESPACE = 'remediate-demo';

export const DEMO_RUNBOOKS = sourceFile('./runbooks.yaml', import.meta.url);

/** How the demo runbooks should come out; the demo checks it said so. */
export type Expectation = 'remediated' | 'awaiting_approval' | 'manual';

export interface DemoIncident {
  incident: Incident;
  expect: Expectation;
  /** One line for the newcomer: what the seed says should happen. */
  story: string;
}

/**
 * The seed's incidents, in the demo's namespace and naming the pod that really crash-loops; the run
 * stamp makes the ids unique, so a second run never attaches to the first run's workflows.
 */
export function demoIncidents(stamp: string, crashingPod: string): DemoIncident[] {
  const incident = (id: string, fields: Omit<Incident, 'id' | 'services' | 'symptoms'>): Incident => ({
    id: `${id}-${stamp}`,
    services: [fields.service],
    symptoms: [],
    ...fields,
  });
  return [
    {
      incident: incident('INC001', {
        root_cause: 'CrashLoopBackOff',
        confidence: 0.95,
        service: 'api-server',
        context: { pod_name: crashingPod, namespace: DEMO_NAMESPACE },
      }),
      expect: 'remediated',
      story: 'LOW risk, high confidence: restart-pod runs on its own and verifies a new pod replaced it, Ready',
    },
    {
      incident: incident('INC002', {
        root_cause: 'high_cpu',
        confidence: 0.75,
        service: 'worker',
        context: { deployment: 'worker', namespace: DEMO_NAMESPACE, new_replicas: 5, old_replicas: 3 },
      }),
      expect: 'remediated',
      story: 'LOW risk, confidence above scale-up minimum 0.7: the worker deployment is scaled from 3 to 5 replicas',
    },
    {
      incident: incident('INC003', {
        root_cause: 'error_rate_spike_after_deploy',
        confidence: 0.92,
        service: 'checkout',
        context: { deployment: 'checkout', namespace: DEMO_NAMESPACE },
      }),
      expect: 'awaiting_approval',
      story: 'HIGH risk: rollback-deployment waits for a human to approve going back to revision 1',
    },
    {
      incident: incident('INC004', { root_cause: 'unknown_issue', confidence: 0.6, service: 'auth', context: {} }),
      expect: 'manual',
      story: 'no runbook matches: a human takes it',
    },
  ];
}

/** The demo runbooks. A compile error here is a bug in the shipped file. */
export async function demoCatalogue(): Promise<CompiledCatalogue> {
  const text = await readFile(DEMO_RUNBOOKS, 'utf8');
  const compiled = compileCatalogue([{ file: DEMO_RUNBOOKS, text }]);
  if (!compiled.ok)
    throw new Error(`demo/runbooks.yaml does not compile: ${compiled.errors.map((e) => `${e.line}:${e.column} ${e.message}`).join('; ')}`);
  return compiled.catalogue;
}
