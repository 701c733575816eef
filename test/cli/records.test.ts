/** The pure parts of the operator commands: stats and its rule, backtest, visibility queries. */
import { describe, expect, it } from 'vitest';
import { backtest } from '../../client/backtest';
import { remediationQuery } from '../../client/records';
import { recommend, runbookStats, trustPosition } from '../../client/stats';
import type { StoredRemediation } from '../../client/records';
import type { CompiledCatalogue, Outcome } from '../../dsl/types';
import { demoCatalogue } from '../../demo/scenario';
import { defaultPolicy } from '../../worker/operator-config';
import { incident } from '../harness/engine';

const catalogue = await demoCatalogue();
const START = Date.parse('2026-01-01T00:00:00Z');

function stored(
  n: number,
  fields: { runbook: string | null; outcome: Outcome; confidence: number; root_cause?: string; catalogue?: CompiledCatalogue },
): StoredRemediation {
  const inc = incident({
    id: `INC${n}`,
    root_cause: fields.root_cause ?? 'high_cpu',
    confidence: fields.confidence,
    service: 'worker',
    context: { deployment: 'worker', namespace: 'p', new_replicas: 5 },
  });
  return {
    workflowId: `incident-INC${n}`,
    record: {
      input: { incident: inc },
      catalogue: fields.catalogue ?? catalogue,
      policy: defaultPolicy(),
      startedAtMs: START + n * 1000,
      closed: {
        status: 'completed',
        atMs: START + n * 1000 + 500,
        result: {
          incidentId: inc.id,
          outcome: fields.outcome,
          decision: { decision: 'auto', event: 'EXECUTING', runbook: fields.runbook ?? 'x', reason: '' },
          runbook: fields.runbook,
          runbookVersion: null,
          planHash: null,
          rolledBack: fields.outcome === 'rolled_back',
          approvals: [],
          events: [],
        },
      },
    },
  };
}

describe('stats', () => {
  it('counts runs, outcomes and success by confidence band per runbook; aborts and manual hand-offs are not runs', () => {
    const records = [
      stored(1, { runbook: 'scale-up', outcome: 'remediated', confidence: 0.75 }),
      stored(2, { runbook: 'scale-up', outcome: 'rolled_back', confidence: 0.75 }),
      stored(3, { runbook: 'scale-up', outcome: 'remediated', confidence: 0.85 }),
      stored(4, { runbook: 'scale-up', outcome: 'failed', confidence: 0.95 }),
      stored(5, { runbook: 'scale-up', outcome: 'aborted', confidence: 0.95 }),
      stored(6, { runbook: 'scale-up', outcome: 'manual', confidence: 0.5 }),
      stored(7, { runbook: null, outcome: 'manual', confidence: 0.6 }),
    ];
    const [scaleUp, ...others] = runbookStats(records);
    expect(others).toEqual([]);
    expect(scaleUp).toMatchObject({
      runbook: 'scale-up',
      matched: 6,
      runs: 4,
      remediated: 2,
      rolledBack: 1,
      failed: 1,
      aborted: 1,
      successRate: 0.5,
    });
    expect(scaleUp!.bands).toEqual([
      { band: '<0.8', runs: 2, remediated: 1, successRate: 0.5 },
      { band: '0.8-0.9', runs: 1, remediated: 1, successRate: 1 },
      { band: '>=0.9', runs: 1, remediated: 0, successRate: 0 },
    ]);
  });

  it('recommends one step right above the threshold over enough runs, one step left below it, nothing with too few runs', () => {
    const rule = { minRuns: 10, threshold: 0.9 };
    expect(recommend('approval', 10, 0.95, 'MEDIUM', rule)).toMatchObject({
      move: 'right',
      from: 'approval',
      to: 'auto',
      why: expect.stringMatching(/success 95% over 10 runs > 90%: move right \(set mode: auto\)/),
    });
    expect(recommend('approval', 20, 1, 'HIGH', rule).why).toMatch(/a risk below HIGH/);
    expect(recommend('suggest', 12, 0.92, 'LOW', rule)).toMatchObject({ move: 'right', to: 'approval' });
    expect(recommend('auto', 10, 0.8, 'LOW', rule)).toMatchObject({
      move: 'left',
      from: 'auto',
      to: 'approval',
      why: expect.stringMatching(/80% over 10 runs < 90%: move left/),
    });
    expect(recommend('auto', 9, 0.1, 'LOW', rule)).toMatchObject({ move: 'stay', why: '9 runs; the rule needs at least 10' });
    expect(recommend('auto', 50, 0.99, 'LOW', rule)).toMatchObject({ move: 'stay', why: expect.stringMatching(/already fully automatic/) });
    expect(recommend('suggest', 50, 0.5, 'LOW', rule)).toMatchObject({
      move: 'stay',
      why: expect.stringMatching(/already only suggested/),
    });
    expect(recommend('approval', 10, 0.9, 'LOW', rule).move).toBe('stay');
  });

  it('places a runbook on the spectrum by its mode and risk (HIGH always asks), from the latest catalogue it ran with', () => {
    const byId = Object.fromEntries(catalogue.runbooks.map((r) => [r.id, r]));
    expect(trustPosition(byId['scale-up']!)).toBe('auto');
    expect(trustPosition(byId['rollback-deployment']!)).toBe('approval');
    expect(trustPosition({ mode: 'suggest', risk: 'LOW' })).toBe('suggest');
    const runs = Array.from({ length: 10 }, (_, i) =>
      stored(i, { runbook: 'rollback-deployment', outcome: 'remediated', confidence: 0.95, root_cause: 'error_rate_spike_after_deploy' }),
    );
    expect(runbookStats(runs)[0]!.recommendation).toMatchObject({ move: 'right', from: 'approval', to: 'auto' });
  });
});

describe('backtest', () => {
  const raised: CompiledCatalogue = {
    ...catalogue,
    version: 'proposed',
    runbooks: catalogue.runbooks.map((r) => (r.id === 'scale-up' ? { ...r, minConfidence: 0.8, version: 'scale-up-v2' } : r)),
  };

  it("shows the changed decision when a runbook's min_confidence is raised above an incident's confidence", () => {
    const rows = backtest(
      [
        stored(1, { runbook: 'scale-up', outcome: 'remediated', confidence: 0.75 }),
        stored(2, { runbook: 'scale-up', outcome: 'remediated', confidence: 0.85 }),
      ],
      raised,
    );
    expect(rows[0]).toMatchObject({
      incidentId: 'INC1',
      outcome: 'remediated',
      changed: true,
      recorded: { decision: 'auto', event: 'EXECUTING', runbook: 'scale-up' },
      proposed: {
        decision: 'manual',
        event: 'LOW_CONFIDENCE',
        runbook: 'scale-up',
        reason: expect.stringMatching(/below scale-up's minimum 0.8/),
      },
    });
    // Above the new minimum: same decision, but the runbook's content changed.
    expect(rows[1]).toMatchObject({ changed: false, versionChanged: true });
  });

  it('the same catalogue changes nothing', () => {
    expect(backtest([stored(1, { runbook: 'scale-up', outcome: 'remediated', confidence: 0.75 })], catalogue)[0]).toMatchObject({
      changed: false,
      versionChanged: false,
    });
  });
});

describe('visibility query', () => {
  it('filters by workflow type and the search attributes the workflow sets', () => {
    expect(remediationQuery()).toBe("WorkflowType = 'remediateIncident'");
    expect(remediationQuery({ outcome: 'manual', runbook: 'scale-up', service: 'checkout' })).toBe(
      "WorkflowType = 'remediateIncident' AND RemediateOutcome = 'manual' AND RemediateRunbook = 'scale-up' AND RemediateService = 'checkout'",
    );
    expect(remediationQuery({ closedSince: new Date(START) })).toBe(
      "WorkflowType = 'remediateIncident' AND ExecutionStatus != 'Running' AND CloseTime >= '2026-01-01T00:00:00.000Z'",
    );
  });

  it('refuses values that could change the query', () => {
    expect(() => remediationQuery({ service: "x' OR WorkflowType != 'y" })).toThrow(/--service: .* may contain only/);
  });
});
