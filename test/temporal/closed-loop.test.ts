/**
 * The closed loop, end to end, on real servers: a metric goes bad on an exporter the test controls; the
 * real Prometheus evaluates an alert rule over it and the alert fires; the real Alertmanager posts it to
 * the intake (`remediate serve`'s server, with its bearer token); the mapping rule makes it an incident;
 * the remediation runs on the dev server (real time) and its action fixes the workload (a real HTTP
 * call that brings the metric back); live verification reads the recovery from Prometheus; the alert
 * resolves and Alertmanager says so. The rig (bench/closed-loop-rig.ts) is the one the bench's
 * `--closed-loop` mode measures; this test prints the time from the metric going bad to the verified fix.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startClosedLoop, type ClosedLoop } from '../../bench/closed-loop-rig';
import { startWorker } from '../harness/engine';
import { connectDevServer } from '../harness/temporal';

const LABEL = `loop-${Date.now().toString(36)}`;

let env: TestWorkflowEnvironment;
let loop: ClosedLoop;

beforeAll(async () => {
  env = await connectDevServer();
  loop = await startClosedLoop({
    client: env.client,
    prometheusBinary: inject('prometheusPath'),
    alertmanagerBinary: inject('alertmanagerPath'),
    startWorker: (catalogue, config) => startWorker(env, { catalogue, config }),
  });
}, 180_000);

afterAll(async () => {
  await loop?.close();
  await env?.teardown();
});

describe('the closed loop', () => {
  it(
    'metric bad → alert fires → Alertmanager posts to serve → remediation → live verification → alert resolves',
    { timeout: 180_000 },
    async () => {
      const run = await loop.runLoop(LABEL);
      expect(run.result).toMatchObject({ outcome: 'remediated', runbook: 'fix-loop' });
      // The action really ran once, and verification read the recovered value from Prometheus.
      expect(loop.fixerRequests()).toEqual([`POST /fix/${LABEL}`]);
      const verified = run.result.events.filter((e) => e.type === 'STEP_SUCCEEDED' && e.step === 'error_ratio_recovered');
      expect(verified.length).toBeGreaterThan(0);
      expect(JSON.stringify(verified.at(-1)!.data)).toContain('0.01');

      // The alert resolved on its own once the metric was good, and Alertmanager told the intake.
      expect(run.resolved.result).toMatch(/^resolved(_not_running)?$/);
      expect(run.resolved.incidentId).toBe(run.started.incidentId);
      // The stages happened in the loop's order.
      const { stamps } = run;
      expect(stamps.scraped).toBeGreaterThan(stamps.metricBad);
      expect(stamps.delivered).toBeGreaterThanOrEqual(stamps.scraped);
      expect(stamps.firstAction).toBeGreaterThanOrEqual(stamps.started);
      expect(stamps.verified).toBeGreaterThan(stamps.firstAction);
      expect(stamps.resolvedDelivered).toBeGreaterThan(stamps.firstAction);
      console.log(`closed loop: metric bad to verified fix ${((stamps.verified - stamps.metricBad) / 1000).toFixed(1)} s`);
    },
  );
});
