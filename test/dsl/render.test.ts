import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planHash } from '../../dsl/hash';
import { parseIncident } from '../../dsl/incident';
import { ContextError, renderExecutor, type RenderVars } from '../../dsl/render';
import { renderPlan, validateIncidentContext } from '../../dsl/render-plan';
import { describePlannedStep } from '../../dsl/steps/describe';
import { parseTemplate } from '../../dsl/template';
import type { CompiledRunbook, ExecutorSpec, Incident } from '../../dsl/types';
import { CATALOGUE, compileOk, fileWith, SEED_RUNBOOKS, seedIncident, typedRunbook } from './helpers';

const seed = Object.fromEntries(compileOk(SEED_RUNBOOKS).runbooks.map((r) => [r.id, r]));
const catalogue = Object.fromEntries(compileOk(CATALOGUE).runbooks.map((r) => [r.id, r]));

function incident(context: Record<string, unknown>, extra: Record<string, unknown> = {}): Incident {
  const parsed = parseIncident({ id: 'INC9', root_cause: 'CrashLoopBackOff', confidence: 0.9, service: 'api', context, ...extra });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.incident;
}
const argvOf = (runbook: CompiledRunbook, inc: Incident) => {
  const action = renderPlan(runbook, inc).find((s) => s.phase === 'action');
  if (action?.kind !== 'action' || action.run.executor !== 'exec') throw new Error('expected an exec action');
  return action.run.argv;
};

describe('renderExecutor', () => {
  const vars = (context: Record<string, unknown>, steps: RenderVars['steps'] = {}): RenderVars => ({
    incident: incident(context),
    context,
    steps,
  });
  const template = (text: string) => {
    const parsed = parseTemplate(text);
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.template;
  };
  const exec = (argv: string[]): ExecutorSpec => ({
    executor: 'exec',
    argv: argv.map(template),
    env: { POD: template('{pod}') },
    okExitCodes: [0],
  });

  it('binds each placeholder inside its one argument: an injection attempt stays one odd argument', () => {
    const resolved = renderExecutor(exec(['kubectl', 'delete', 'pod', '{pod}', '--note={pod}!']), vars({ pod: 'x; rm -rf /' }));
    expect(resolved).toEqual({
      executor: 'exec',
      argv: ['kubectl', 'delete', 'pod', 'x; rm -rf /', '--note=x; rm -rf /!'],
      env: { POD: 'x; rm -rf /' },
      okExitCodes: [0],
    });
  });

  it('never splits or re-parses a value, whatever it contains', () => {
    const spec = exec(['kubectl', 'delete', 'pod', '{pod}', '-n', 'prod']);
    fc.assert(
      // A leading "-" is refused (test/dsl/placeholder-rules.test.ts).
      fc.property(
        fc.string({ unit: 'binary' }).filter((v) => !/[\r\n\u0000]/.test(v) && !v.startsWith('-')),
        (pod) => {
          expect(renderExecutor(spec, vars({ pod }))).toMatchObject({ argv: ['kubectl', 'delete', 'pod', pod, '-n', 'prod'] });
        },
      ),
    );
  });

  it('renders numbers and booleans as text, and incident fields and step outputs', () => {
    const spec = exec(['kubectl', '{n}', '{flag}', '{incident.id}', '{incident.confidence}', '{steps.capture.replicas}']);
    expect(renderExecutor(spec, vars({ n: 5, flag: false, pod: 'p' }, { capture: { replicas: 3 } }))).toMatchObject({
      argv: ['kubectl', '5', 'false', 'INC9', '0.9', '3'],
    });
  });

  it.each([
    [{ pod: 'a\nb' }, 'context.pod: expected a single line of text (it becomes one argument, header or variable), found "a\\nb"'],
    [{ pod: 'a\u0000b' }, 'context.pod: expected text without NUL characters, found "a\\u0000b"'],
    [{ pod: { nested: 1 } }, 'context.pod: expected a string, number or boolean, found an object'],
    [{ pod: null }, 'context.pod: expected a value, found nothing (missing)'],
    [{}, 'context.pod: expected a value, found nothing (missing)'],
    [{ pod: 'x', constructor: 'y' }, null],
  ])('rejects values that cannot be bound safely: %j', (context, message) => {
    const render = () => renderExecutor(exec(['kubectl', '{pod}']), vars(context));
    if (message === null) {
      expect(render().executor).toBe('exec');
    } else {
      expect(render).toThrow(ContextError);
      expect(render).toThrow(message);
    }
  });

  it('does not reach Object.prototype through a placeholder', () => {
    expect(() => renderExecutor(exec(['kubectl', '{constructor}']), vars({}))).toThrow('context.constructor: expected a value');
  });

  it('encodes placeholder values in URLs and keeps whole-placeholder body values typed', () => {
    const runbook = compileOk(
      fileWith({
        a: typedRunbook({
          context: undefined,
          actions: [
            {
              id: 'x',
              http: { method: 'POST', url: 'https://ops.internal/pods/{pod}?ns={ns}', body: { replicas: '{n}', note: 'pod {pod}' } },
            },
          ],
        }),
      }),
    ).runbooks[0]!;
    const step = runbook.actions[0]!;
    if (step.kind !== 'action') throw new Error('expected an action');
    expect(renderExecutor(step.run, vars({ pod: 'a/../b c', ns: 'x&y=z', n: 5 }))).toEqual({
      executor: 'http',
      method: 'POST',
      url: 'https://ops.internal/pods/a%2F..%2Fb%20c?ns=x%26y%3Dz',
      headers: {},
      body: { replicas: 5, note: 'pod a/../b c' },
      okStatuses: [],
    });
  });
});

describe('validateIncidentContext', () => {
  it("accepts the reference exercise's incidents for their runbooks", () => {
    for (const [n, id] of [
      [1, 'restart-pod'],
      [2, 'scale-up'],
      [3, 'rollback-deployment'],
    ] as const) {
      const parsed = parseIncident(seedIncident(n));
      if (!parsed.ok) throw new Error('bad fixture');
      expect(validateIncidentContext(seed[id]!, parsed.incident)).toEqual([]);
    }
  });

  it('names every missing placeholder field of an undeclared (short-format) context, before anything runs', () => {
    const errors = validateIncidentContext(seed['scale-up']!, incident({ deployment: 'worker' }));
    // The live pre-check reads the deployment in the namespace first: its step names the missing namespace.
    expect(errors.map((e) => [e.field, e.step])).toEqual([
      ['context.namespace', 'pre.current_replicas_below_max'],
      ['context.new_replicas', 'action'],
      ['context.old_replicas', 'rollback'],
    ]);
    expect(errors.every((e) => e instanceof ContextError)).toBe(true);
  });

  it('rejects values that do not fit their declared types, naming field and expectation', () => {
    const errors = validateIncidentContext(
      catalogue['scale-up']!,
      incident({ deployment: 'x; rm -rf /', namespace: 'Prod', budget_remaining: '12' }),
    );
    expect(errors.map((e) => e.message)).toEqual([
      'context.deployment: expected a DNS subdomain (lowercase DNS labels joined by ".", at most 253 characters), found "x; rm -rf /"',
      'context.namespace: expected a DNS label (lowercase letters, digits and "-", at most 63 characters), found "Prod"',
      'context.budget_remaining: expected a number: remaining scaling budget, found "12"',
    ]);
  });

  it('reports missing required fields and tolerates missing optional ones', () => {
    const errors = validateIncidentContext(catalogue['restart-pod']!, incident({ namespace: 'prod' }));
    expect(errors.map((e) => [e.field, (e as ContextError).expected, (e as ContextError).found])).toEqual([
      [
        'context.pod_name',
        'a DNS subdomain (lowercase DNS labels joined by ".", at most 253 characters): the unhealthy pod',
        'nothing (missing)',
      ],
    ]);
  });

  it.each([
    ['int', 3, 3.5],
    ['number', 0.5, '0.5'],
    ['bool', false, 'false'],
    ['string', '', 7],
    ['dns_label', 'a-1', 'a.b'],
    ['dns_subdomain', 'a.b-c', '-a'],
  ])('checks %s values', (type, good, bad) => {
    const runbook = compileOk(
      fileWith({
        a: typedRunbook({ context: { v: type, pod_name: 'string', namespace: 'string', replicas: { type: 'int', required: false } } }),
      }),
    ).runbooks[0]!;
    const base = { pod_name: 'p', namespace: 'n' };
    expect(validateIncidentContext(runbook, incident({ ...base, v: good }))).toEqual([]);
    expect(validateIncidentContext(runbook, incident({ ...base, v: bad })).map((e) => e.field)).toEqual(['context.v']);
  });
});

describe('renderPlan', () => {
  it("fills the reference exercise's placeholders: INC001 deletes exactly the named pod", () => {
    const parsed = parseIncident(seedIncident(1));
    if (!parsed.ok) throw new Error('bad fixture');
    expect(argvOf(seed['restart-pod']!, parsed.incident)).toEqual(['kubectl', 'delete', 'pod', 'api-server-abc123', '-n', 'production']);
  });

  it('turns `pod_name: "x; rm -rf /"` into one argv element (short format: no declared types)', () => {
    const inc = incident({ pod_name: 'x; rm -rf /', namespace: 'production' });
    // The plan as a whole refuses it first: the live pre-checks read the pod by that name, which is no Kubernetes name.
    expect(() => renderPlan(seed['restart-pod']!, inc)).toThrow(/^step pre\.replicas_greater_than_one: name: .*not a DNS subdomain/);
    const [action] = seed['restart-pod']!.actions;
    if (action?.kind !== 'action') throw new Error('expected an action');
    const run = renderExecutor(action.run, { incident: inc, context: inc.context, steps: {} }, { step: 'action' });
    expect(run.executor === 'exec' && run.argv).toEqual(['kubectl', 'delete', 'pod', 'x; rm -rf /', '-n', 'production']);
  });

  it('leaves step outputs for run time and lists them', () => {
    const steps = renderPlan(catalogue['scale-up']!, incident({ deployment: 'worker', namespace: 'prod' }));
    const restore = steps.find((s) => s.id === 'restore_replicas')!;
    expect(restore).toMatchObject({
      phase: 'rollback',
      deferred: ['steps.scale.previous'],
      run: { executor: 'kubernetes', op: 'scale', namespace: 'prod', name: 'worker', replicas: '{steps.scale.previous}' },
    });
    expect(steps.map((s) => `${s.phase}:${s.id}`)).toEqual([
      'pre_check:pre.current_replicas_below_max',
      'pre_check:pre.budget_available',
      'action:scale',
      'post_check:post.all_pods_ready',
      'post_check:post.metrics_improved',
      'rollback:restore_replicas',
    ]);
  });

  it('throws the first ContextError when the context does not fit', () => {
    expect(() => renderPlan(catalogue['restart-pod']!, incident({}))).toThrow(ContextError);
  });

  it('gives a plan hash that changes with the values the plan binds', () => {
    const hash = (pod: string) => planHash(renderPlan(seed['restart-pod']!, incident({ pod_name: pod, namespace: 'production' })));
    expect(hash('a')).toBe(hash('a'));
    expect(hash('a')).not.toBe(hash('b'));
  });

  it('describes each step in one line, showing overrides of standard checks', () => {
    const runbook = compileOk(fileWith({ a: typedRunbook() }, { checks: { replicas_greater_than_one: { condition: 'true' } } }))
      .runbooks[0]!;
    const lines = renderPlan(runbook, incident({ pod_name: 'p', namespace: 'n' })).map(describePlannedStep);
    expect(lines).toEqual([
      'pre-check replicas_greater_than_one [overrides the standard library]: true',
      'action delete: kubectl delete pod p -n n',
      'post-check ready: probe kubernetes get_pod n/p; result.json.exists && has(context.replicas), polled every 5s for up to 60s',
    ]);
  });
});
