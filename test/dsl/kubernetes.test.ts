/** The `kubernetes` step type: compile rules, the compiled spec, rendering and plans. */
import { describe, expect, it } from 'vitest';
import { renderExecutor } from '../../dsl/render';
import { renderPlan, validateIncidentContext } from '../../dsl/render-plan';
import { describeRun } from '../../dsl/steps/describe';
import type { ActionStep, Incident } from '../../dsl/types';
import { compileErrors, compileOk, fileWith, messages, onlyRunbook, typedRunbook } from './helpers';

const k8s = (fields: Record<string, unknown>) => ({ namespace: '{namespace}', name: '{pod_name}', ...fields });

/** A runbook allowed in `production` whose one action is the given kubernetes call. */
function withAction(kubernetes: Record<string, unknown>, overrides: Record<string, unknown> = {}): string {
  return fileWith({ a: typedRunbook({ namespaces: ['production'], actions: [{ id: 'act', kubernetes }], ...overrides }) });
}

const incident = (context: Record<string, unknown>): Incident => ({
  id: 'INC9',
  root_cause: 'pod_crash_loop',
  confidence: 0.9,
  service: 'api',
  services: ['api'],
  symptoms: [],
  context,
});

describe('kubernetes steps compile', () => {
  it('into a KubernetesSpec carrying the runbook namespaces, counts as templates', () => {
    const runbook = onlyRunbook(compileOk(withAction(k8s({ op: 'scale', name: '{pod_name}', delta: -1 }))));
    const action = runbook.actions[0] as ActionStep;
    expect(action.run).toEqual({
      executor: 'kubernetes',
      op: 'scale',
      namespace: { parts: [{ kind: 'placeholder', path: ['context', 'namespace'] }] },
      name: { parts: [{ kind: 'placeholder', path: ['context', 'pod_name'] }] },
      delta: { parts: [{ kind: 'literal', text: '-1' }] },
      namespaces: ['production'],
    });
    expect(action.description).toBe('kubernetes scale {context.namespace}/{context.pod_name}');
  });

  it('as read-only probes of checks', () => {
    const runbook = onlyRunbook(
      compileOk(
        withAction(k8s({ op: 'delete_pod' }), {
          post_checks: [{ id: 'gone', probe: { kubernetes: k8s({ op: 'get_pod' }) }, condition: '!result.json.exists' }],
        }),
      ),
    );
    expect(runbook.postChecks[0]!.probe).toMatchObject({ executor: 'kubernetes', op: 'get_pod', namespaces: ['production'] });
  });

  it.each([
    [k8s({ op: 'scale' }), 'scale needs exactly one of "replicas" (a count) or "delta" (a change), found neither'],
    [k8s({ op: 'scale', replicas: 2, delta: 1 }), 'scale needs exactly one of "replicas" (a count) or "delta" (a change), found both'],
    [k8s({ op: 'scale', delta: 0 }), 'a delta of 0 changes nothing'],
    [k8s({ op: 'delete_pod', replicas: 2 }), '"replicas" is only for op scale, not delete_pod'],
    [k8s({ op: 'scale', replicas: 1, to_revision: 3 }), '"to_revision" is only for op rollout_undo, not scale'],
    [k8s({ op: 'get_pod', namespace: 'kube-system' }), 'namespace "kube-system" is not one of the runbook\'s namespaces: production'],
    [k8s({ op: 'get_pod', name: '{podname}' }), expect.stringMatching(/^placeholder \{podname\} is not declared in the runbook's context/)],
  ])('rejects %j', (kubernetes, message) => {
    expect(messages(compileErrors(withAction(kubernetes)))).toEqual([message]);
  });

  it('rejects a count that is neither a whole number nor a placeholder (schema)', () => {
    expect(compileErrors(withAction(k8s({ op: 'scale', replicas: 1.5 })))).toMatchObject([
      {
        path: 'runbooks.a.actions[0].kubernetes.replicas',
        message: 'expected scale: the replica count to set (0 scales to zero), found 1.5',
      },
    ]);
  });

  it('requires the runbook to declare the namespaces it may act in', () => {
    const text = fileWith({ a: typedRunbook({ actions: [{ id: 'act', kubernetes: k8s({ op: 'delete_pod' }) }] }) });
    expect(messages(compileErrors(text))).toEqual([
      'a kubernetes step acts only in namespaces its runbook allows: add "namespaces: [...]" to the runbook',
    ]);
  });

  it('lets a read-only probe compile in a runbook that lists no namespaces: the executor then reads only where the operator allows', () => {
    const probe = { id: 'gone', probe: { kubernetes: k8s({ op: 'get_pod' }) }, condition: '!result.json.exists' };
    const runbook = onlyRunbook(compileOk(fileWith({ a: typedRunbook({ post_checks: [probe] }) })));
    expect(runbook.postChecks[0]!.probe).toMatchObject({ executor: 'kubernetes', op: 'get_pod', namespaces: [] });
    // The standard library's replicas_greater_than_one, the default pre-check.
    expect(runbook.preChecks[0]).toMatchObject({ origin: 'stdlib', probe: { executor: 'kubernetes', op: 'get_pod', namespaces: [] } });
    // A read as an action step still needs the runbook's list.
    const asAction = fileWith({ a: typedRunbook({ actions: [{ id: 'look', kubernetes: k8s({ op: 'get_pod' }) }] }) });
    expect(messages(compileErrors(asAction))).toEqual([
      'a kubernetes step acts only in namespaces its runbook allows: add "namespaces: [...]" to the runbook',
    ]);
  });

  it('refuses a probe that changes the cluster', () => {
    const text = withAction(k8s({ op: 'delete_pod' }), {
      pre_checks: [{ id: 'sneaky', probe: { kubernetes: k8s({ op: 'delete_pod' }) }, condition: 'true' }],
    });
    expect(messages(compileErrors(text))).toEqual([
      'a probe may only read (get_pod or get_deployment), but "delete_pod" changes the cluster; make it an action',
    ]);
  });

  it('checks a shared check definition against the namespaces of each runbook using it', () => {
    const text = fileWith(
      { a: typedRunbook({ namespaces: ['production'], pre_checks: ['live'] }) },
      { checks: { live: { probe: { kubernetes: { op: 'get_pod', namespace: 'staging', name: 'x' } }, condition: 'result.json.exists' } } },
    );
    expect(messages(compileErrors(text))).toEqual([
      expect.stringMatching(
        /^check "live" \(defined in this file at line \d+\): namespace "staging" is not one of the runbook's namespaces: production$/,
      ),
    ]);
  });
});

describe('kubernetes steps render', () => {
  const runbook = onlyRunbook(
    compileOk(
      fileWith({
        a: typedRunbook({
          namespaces: ['production'],
          actions: [{ id: 'scale', kubernetes: k8s({ op: 'scale', delta: 1 }), outputs: { previous: 'result.json.previousReplicas' } }],
          rollback: [{ id: 'restore', kubernetes: k8s({ op: 'scale', replicas: '{steps.scale.previous}' }) }],
        }),
      }),
    ),
  );

  it('fills names and counts from the context and step outputs, as text the executor checks', () => {
    const restore = runbook.rollback.kind === 'steps' ? (runbook.rollback.steps[0] as ActionStep) : undefined;
    const context = { pod_name: 'web', namespace: 'production' };
    expect(renderExecutor(restore!.run, { incident: incident(context), context, steps: { scale: { previous: 3 } } })).toEqual({
      executor: 'kubernetes',
      op: 'scale',
      namespace: 'production',
      name: 'web',
      replicas: '3',
      namespaces: ['production'],
    });
  });

  it('keeps unknown step outputs in a plan and describes the call', () => {
    const plan = renderPlan(runbook, incident({ pod_name: 'web', namespace: 'production' }));
    const restore = plan.find((s) => s.id === 'restore');
    expect(restore).toMatchObject({ deferred: ['steps.scale.previous'] });
    if (restore?.kind !== 'action' || restore.run.executor !== 'kubernetes') throw new Error('expected a kubernetes action');
    expect(describeRun(restore.run)).toBe('kubernetes scale production/web replicas={steps.scale.previous}');
  });

  it('flags a context value that cannot name an object before anything runs', () => {
    expect(validateIncidentContext(runbook, incident({ pod_name: 'web\nx', namespace: 'production' })).map((e) => e.field)).toEqual([
      'context.pod_name',
    ]);
  });
});
