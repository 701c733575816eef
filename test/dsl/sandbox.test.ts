import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const quiet = { logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } };

// The workflows import dsl/ (CEL included) into Temporal's deterministic sandbox, which
// refuses Node built-ins at bundle time. Building the bundle is the check; no server runs.
describe("dsl/ in Temporal's workflow sandbox", () => {
  it('bundles cel-js, the decision engine, rendering and hashing as workflow code', { timeout: 120_000 }, async () => {
    const bundle = await bundleWorkflowCode({ workflowsPath: fixture('dsl-workflow.ts'), ...quiet });
    expect(bundle.code).toContain('dslInSandbox');
    expect(bundle.code).toContain('has(context.replicas)');
  });

  it('would reject a module that uses a Node API (the check above can fail)', { timeout: 120_000 }, async () => {
    const logged: string[] = [];
    const record = (message: string) => void logged.push(message);
    const logger = { ...quiet.logger, warn: record, error: record };
    await expect(bundleWorkflowCode({ workflowsPath: fixture('node-api-workflow.ts'), logger })).rejects.toThrow(
      /Webpack finished with errors/,
    );
    expect(logged.join('\n')).toMatch(/node:fs/);
  });
});
