/** The engine as a Kubernetes test file uses it: the shipped catalogue, a worker on the local cluster, the dev server. */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPolicy, submitIncident, type Submission } from '../../client/submit';
import type { Incident } from '../../dsl/types';
import { startWorker } from './engine';
import { kubeconfigPath } from './kubernetes';
import { shippedCatalogue } from './shipped-catalogue';
import { connectDevServer } from './temporal';

/** Room for every test's remediation at once: the seed's limits (3, 1 service) are the guardrail tests' subject, not these. */
const LIMITS = { maxConcurrent: 10, maxServices: 10 };

export interface KubernetesEngine {
  env: TestWorkflowEnvironment;
  submit(incident: Incident): Promise<Submission>;
  stop(): Promise<void>;
}

/**
 * Real time (the dev server), because the cluster runs in real time: a time-skipping server would
 * race through the verification polls before the controllers had acted.
 */
export async function startKubernetesEngine(): Promise<KubernetesEngine> {
  const env = await connectDevServer();
  const scratch = mkdtempSync(join(tmpdir(), 'remediate-k8s-notify-'));
  const worker = await startWorker(env, {
    // Notifications to a file, not the test output.
    config: { kubernetes: { kubeconfig: kubeconfigPath(), namespaces: null }, notifyLogPath: join(scratch, 'notifications.jsonl') },
    policy: { limits: LIMITS },
  });
  const catalogue = shippedCatalogue();
  const policy = defaultPolicy({ approverGroups: { 'sre-oncall': ['alice'] }, limits: LIMITS });
  return {
    env,
    submit: (incident) => submitIncident(env.client, { incident, catalogue, policy, taskQueue: worker.taskQueue }),
    async stop() {
      await worker.stop();
      await env.teardown();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
