/** The engine as a Kubernetes test file uses it: the shipped catalogue, a worker on the local cluster, the dev server. */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { submitIncident, type Submission } from '../../client/submit';
import type { Incident } from '../../dsl/types';
import type { DecisionAnswer } from '../../contracts/types';
import { approveWith, trustOf } from './approvals';
import { startWorker } from './engine';
import { testKey } from './ssh-keys';
import { kubeconfigPath } from './kubernetes';
import { shippedCatalogue } from './shipped-catalogue';
import { connectDevServer } from './temporal';

/** Room for every test's remediation at once: the seed's limits (3, 1 service) are the guardrail tests' subject, not these. */
const LIMITS = { maxConcurrent: 10, maxServices: 10 };

export interface KubernetesEngine {
  env: TestWorkflowEnvironment;
  submit(incident: Incident): Promise<Submission>;
  /** Signs and sends alice's approval (the shipped catalogue's sre-oncall group) for the plan the run waits on. */
  approve(submission: Submission, reason: string): Promise<DecisionAnswer>;
  stop(): Promise<void>;
}

/**
 * Real time (the dev server), because the cluster runs in real time: a time-skipping server would
 * race through the verification polls before the controllers had acted.
 */
export async function startKubernetesEngine(): Promise<KubernetesEngine> {
  const env = await connectDevServer();
  const scratch = mkdtempSync(join(tmpdir(), 'remediate-k8s-notify-'));
  const alice = testKey('alice');
  const worker = await startWorker(env, {
    catalogue: shippedCatalogue(),
    operator: { approverGroups: { 'sre-oncall': ['alice'] }, trust: trustOf([alice]) },
    // Notifications to a file, not the test output.
    config: { kubernetes: { kubeconfig: kubeconfigPath(), namespaces: null }, notifyLogPath: join(scratch, 'notifications.jsonl') },
    policy: { limits: LIMITS },
  });
  return {
    env,
    submit: (incident) => submitIncident(env.client, { incident, taskQueue: worker.taskQueue }),
    approve: (submission, reason) => approveWith(submission.handle, alice, new Date(), { reason }),
    async stop() {
      await worker.stop();
      await env.teardown();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
