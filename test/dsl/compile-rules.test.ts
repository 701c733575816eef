import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compileCatalogue } from '../../dsl/compile';
import { compileErrors, compileOk, fileWith, LIVE_POD_PROBE, messages, onlyRunbook, SEED_RUNBOOKS, typedRunbook } from './helpers';

const errorsFor = (overrides: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  compileErrors(fileWith({ a: typedRunbook(overrides) }, extra));
const compiled = (overrides: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  onlyRunbook(compileOk(fileWith({ a: typedRunbook(overrides) }, extra)));

describe('check names', () => {
  it('rejects an unknown check, suggesting the closest name', () => {
    expect(errorsFor({ pre_checks: ['replicas_greater_then_one'] })).toEqual([
      expect.objectContaining({
        path: 'runbooks.a.pre_checks[0]',
        message: 'unknown check "replicas_greater_then_one" (did you mean "replicas_greater_than_one"?)',
      }),
    ]);
  });

  it('lets a file define checks and use them by name, with timing overrides', () => {
    const runbook = compiled(
      { post_checks: [{ check: 'pod_healthy', deadline: '2m', interval: '10s' }] },
      { checks: { pod_healthy: { description: 'Reads the pod.', probe: LIVE_POD_PROBE, condition: 'result.json.exists' } } },
    );
    expect(runbook.postChecks[0]).toMatchObject({
      id: 'post.pod_healthy',
      check: 'pod_healthy',
      origin: 'file',
      deadlineMs: 120_000,
      intervalMs: 10_000,
    });
  });

  it('lets a file override a standard check for that file, and records it', () => {
    const runbook = compiled({}, { checks: { replicas_greater_than_one: { condition: 'has(context.replicas) && context.replicas > 2' } } });
    expect(runbook.preChecks[0]).toMatchObject({
      origin: 'file_override',
      condition: { cel: 'has(context.replicas) && context.replicas > 2' },
    });
  });

  it('reports a broken file check once, where it is defined, not as unknown where it is used', () => {
    const errors = errorsFor({ pre_checks: ['mine'] }, { checks: { mine: { condition: 'context.x >' } } });
    expect(errors).toEqual([
      expect.objectContaining({
        path: 'checks.mine.condition',
        message: expect.stringMatching(/^invalid CEL condition: Unexpected token/),
      }),
    ]);
  });

  it("checks a standard check against a runbook's declared context, where it is used", () => {
    expect(messages(errorsFor({ pre_checks: ['off_peak_hours'] }))).toEqual([
      'check "off_peak_hours" (standard library): invalid CEL condition: unknown field context.local_hour; ' +
        "the runbook's context declares pod_name, namespace, replicas",
    ]);
    // A live standard check's probe fills placeholders from the same context.
    expect(messages(errorsFor({ pre_checks: ['deployment_exists'] }))).toEqual([
      'check "deployment_exists" (standard library): placeholder {deployment} is not declared in the runbook\'s context; declared: pod_name, namespace, replicas',
    ]);
  });

  it('compiles inline checks with a probe, whose condition sees `result`', () => {
    const runbook = compiled({
      post_checks: [
        {
          id: 'http_ok',
          probe: { http: { url: 'https://status.internal/pods/{pod_name}' } },
          condition: 'result.status == 200',
          deadline: '30s',
        },
      ],
    });
    expect(runbook.postChecks[0]).toMatchObject({
      origin: 'inline',
      check: 'http_ok',
      probe: { executor: 'http', method: 'GET' },
      deadlineMs: 30_000,
    });
  });

  it('points at the offending column inside a CEL condition', () => {
    const line = '      - { id: p, condition: context.replicas > }';
    const text = [
      'runbooks:',
      '  a:',
      '    risk: HIGH',
      '    triggers: [x]',
      '    min_confidence: 0.5',
      '    action: kubectl get pods',
      '    post_checks:',
      line,
      '',
    ].join('\n');
    expect(compileErrors(text)).toEqual([
      expect.objectContaining({
        line: 8,
        column: line.indexOf(' }') + 1,
        path: 'runbooks.a.post_checks[0].condition',
        message: 'invalid CEL condition: Unexpected token: EOF',
      }),
    ]);
  });

  it.each([
    [{ id: 'x' }, 'an inline check needs "condition" (or use a named check: "check: NAME")'],
    [{ condition: 'true' }, 'an inline check needs "id" (or use a named check: "check: NAME")'],
    [
      { check: 'pod_becomes_ready', condition: 'true' },
      '"condition" comes from the definition of check "pod_becomes_ready"; use an inline check ({id, condition}) instead',
    ],
    [
      { id: 'p', condition: 'result.ok', probe: {} },
      'a probe needs exactly one of "exec", "http", "kubernetes" or "prometheus", found none',
    ],
    [
      { id: 'p', condition: 'true', deadline: '10s', interval: '1m' },
      'a polled check needs 0 < interval <= deadline, found interval 60000ms and deadline 10000ms',
    ],
    [
      { id: 'p', condition: 'incident.confidence' },
      'invalid CEL condition: a condition must be true or false, but this expression is of type double',
    ],
    [{ id: 'p', condition: 'result.ok' }, 'invalid CEL condition: Unknown variable: result'],
    [{ id: 'p', condition: 'true', timeout: 0 }, 'expected a duration greater than zero, found 0'],
  ])('rejects the check %j', (entry, message) => {
    expect(messages(errorsFor({ post_checks: [entry] }))).toEqual([message]);
  });
});

describe('placeholders', () => {
  it('must name a declared context field when the runbook declares its context', () => {
    const errors = errorsFor({ actions: [{ id: 'delete', exec: { argv: ['kubectl', 'delete', 'pod', '{pod}', '-n', '{namespace}'] } }] });
    expect(errors).toEqual([
      expect.objectContaining({
        path: 'runbooks.a.actions[0].exec.argv[3]',
        message:
          'placeholder {pod} is not declared in the runbook\'s context (did you mean "pod_name"?); declared: pod_name, namespace, replicas',
      }),
    ]);
  });

  it("are checked per incident when the runbook declares no context (the reference exercise's format)", () => {
    expect(compileOk(SEED_RUNBOOKS).runbooks.every((r) => r.context === null)).toBe(true);
  });

  it('may use the outputs of earlier steps, and the rollback may use any action output', () => {
    const runbook = compiled({
      actions: [
        { id: 'capture', exec: { argv: ['kubectl', 'get', 'x'] }, outputs: { n: 'int(result.stdout)' } },
        { id: 'scale', exec: { argv: ['kubectl', 'scale', '--replicas={steps.capture.n}'] } },
      ],
      rollback: [{ id: 'restore', exec: { argv: ['kubectl', 'scale', '--replicas={steps.capture.n}'] } }],
    });
    expect(runbook.actions[0]).toMatchObject({ outputs: { n: { cel: 'int(result.stdout)' } } });
    expect(runbook.rollback).toMatchObject({ kind: 'steps', steps: [{ id: 'restore' }] });
  });

  it.each([
    [
      'a step that has not run yet',
      [
        { id: 'scale', exec: { argv: ['kubectl', '--replicas={steps.capture.n}'] } },
        { id: 'capture', exec: { argv: ['kubectl'] }, outputs: { n: '1' } },
      ],
      'placeholder {steps.capture.n}: no earlier step "capture" with outputs',
    ],
    [
      'an output the step does not have',
      [
        { id: 'capture', exec: { argv: ['kubectl'] }, outputs: { n: '1' } },
        { id: 'scale', exec: { argv: ['kubectl', '--replicas={steps.capture.m}'] } },
      ],
      'placeholder {steps.capture.m}: step "capture" has no output "m" (did you mean "n"?); it has: n',
    ],
  ])('reject %s', (_, actions, message) => {
    expect(messages(errorsFor({ actions }))).toEqual([message]);
  });

  it('cannot use step outputs in pre-checks, which run before any action', () => {
    const errors = errorsFor({
      actions: [{ id: 'capture', exec: { argv: ['kubectl'] }, outputs: { n: '1' } }],
      pre_checks: [{ id: 'p', probe: { exec: { argv: ['kubectl', '{steps.capture.n}'] } }, condition: 'result.ok' }],
    });
    expect(messages(errors)).toEqual(['placeholder {steps.capture.n}: no earlier step "capture" with outputs']);
  });

  it('reports a malformed placeholder at its column in a short-format command', () => {
    const line = '    action: kubectl delete pod {pod-name}';
    const text = ['runbooks:', '  a:', '    triggers: [x]', '    min_confidence: 0.5', '    risk: HIGH', line, ''].join('\n');
    expect(compileErrors(text)).toEqual([
      expect.objectContaining({
        line: 6,
        column: line.indexOf('{') + 1,
        message: expect.stringMatching(/^invalid placeholder \{pod-name\}/),
      }),
    ]);
  });
});

describe('commands and executors', () => {
  it('rejects shell syntax in a command string, at its column: there is no shell', () => {
    const line = '    action: kubectl get pods | grep bad';
    const text = ['runbooks:', '  a:', '    triggers: [x]', '    min_confidence: 0.5', '    risk: HIGH', line, ''].join('\n');
    expect(compileErrors(text)).toEqual([
      expect.objectContaining({
        line: 6,
        column: line.indexOf('|') + 1,
        path: 'runbooks.a.action',
        message: expect.stringMatching(/^unquoted "\|": commands run without a shell/),
      }),
    ]);
  });

  it('requires the program to be written literally', () => {
    expect(messages(errorsFor({ actions: [{ id: 'x', exec: { argv: ['{pod_name}', 'rm'] } }] }))).toEqual([
      'the program to run must be written literally, found {context.pod_name}',
    ]);
  });

  it("requires a URL's scheme and host to be literal", () => {
    expect(messages(errorsFor({ actions: [{ id: 'x', http: { url: 'https://{pod_name}/restart' } }] }))).toEqual([
      'the scheme and host of a URL must be written literally (http:// or https://), found https://{pod_name}/restart',
    ]);
  });

  it('compiles an HTTP action with headers and a JSON body whose strings are templates', () => {
    const runbook = compiled({
      actions: [
        {
          id: 'call',
          http: {
            method: 'POST',
            url: 'https://ops.internal/api/pods/{pod_name}/restart',
            headers: { 'X-Incident': '{incident.id}' },
            body: { namespace: '{namespace}', force: true, tags: ['a'] },
            ok_statuses: [202],
          },
        },
      ],
    });
    expect(runbook.actions[0]).toMatchObject({
      run: {
        executor: 'http',
        method: 'POST',
        okStatuses: [202],
        body: {
          kind: 'object',
          entries: {
            namespace: { kind: 'template', template: { parts: [{ kind: 'placeholder', path: ['context', 'namespace'] }] } },
            force: { kind: 'literal', value: true },
            tags: { kind: 'list', items: [{ kind: 'template', template: { parts: [{ kind: 'literal', text: 'a' }] } }] },
          },
        },
      },
    });
  });

  it('compiles waits, timeouts, retries and guards', () => {
    const runbook = compiled({
      actions: [
        { id: 'delete', exec: { argv: ['kubectl', 'delete'] }, timeout: '2m', retries: 1, when: 'context.replicas > 1' },
        { id: 'settle', wait: '30s' },
      ],
    });
    expect(runbook.actions).toEqual([
      expect.objectContaining({ id: 'delete', timeoutMs: 120_000, retries: 1, when: { cel: 'context.replicas > 1' } }),
      { kind: 'wait', id: 'settle', durationMs: 30_000 },
    ]);
  });

  it.each([
    [{ id: 'x' }, 'a step needs exactly one of "exec", "http", "kubernetes", "prometheus" or "wait", found none'],
    [
      { id: 'x', wait: 5, exec: { argv: ['a'] } },
      'a step needs exactly one of "exec", "http", "kubernetes", "prometheus" or "wait", found exec and wait',
    ],
    [{ id: 'x', wait: '5s', retries: 2 }, 'a wait step takes no "retries"'],
    [{ id: 'x', wait: 0 }, 'expected a duration greater than zero, found 0'],
    [{ id: 'x', exec: { argv: ['a'] }, outputs: { n: 'result.' } }, expect.stringMatching(/^invalid CEL output: /)],
    [{ id: 'x', exec: { argv: ['a'] }, when: 'result.ok' }, 'invalid CEL condition: Unknown variable: result'],
  ])('rejects the step %j', (step, message) => {
    expect(messages(errorsFor({ actions: [step] }))).toEqual([message]);
  });

  it('wants exactly one of action and actions', () => {
    expect(messages(errorsFor({ action: 'kubectl get pods' }))).toEqual([
      'expected either "action" (a command) or "actions" (a list of steps), found both',
    ]);
    expect(messages(errorsFor({ actions: undefined }))).toEqual([
      'nothing to do: expected "action" (a command) or "actions" (a list of steps)',
    ]);
  });
});

describe('ids and matching', () => {
  it('rejects duplicate step ids within a runbook', () => {
    expect(
      errorsFor({
        actions: [
          { id: 'x', wait: 1 },
          { id: 'x', wait: 2 },
        ],
      }),
    ).toEqual([expect.objectContaining({ path: 'runbooks.a.actions[1]', message: expect.stringMatching(/^duplicate step id "x"/) })]);
    expect(messages(errorsFor({ pre_checks: ['replicas_greater_than_one', 'replicas_greater_than_one'] }))).toEqual([
      expect.stringMatching(/^duplicate step id "pre.replicas_greater_than_one"/),
    ]);
  });

  it('rejects a runbook id defined in two files, naming the first', () => {
    const result = compileCatalogue([
      { file: 'one.yaml', text: fileWith({ a: typedRunbook() }) },
      { file: 'two.yaml', text: fileWith({ a: typedRunbook({ root_causes: ['other'] }) }) },
    ]);
    expect(result).toEqual({
      ok: false,
      errors: [
        { file: 'two.yaml', line: 2, column: 3, path: 'runbooks.a', message: 'duplicate runbook id "a": already defined in one.yaml:2' },
      ],
    });
  });

  it('rejects two runbooks claiming the same root cause at the same precedence', () => {
    const errors = compileErrors(fileWith({ a: typedRunbook(), b: typedRunbook() }));
    expect(errors).toEqual([
      expect.objectContaining({
        path: 'runbooks.b.root_causes[0]',
        message:
          'ambiguous match: runbooks "a" (test.yaml:2) and "b" both claim root cause "pod_crash_loop" at precedence 0; give one of them a higher "precedence"',
      }),
    ]);
  });

  it('accepts the same trigger at different precedences, or as a root cause in one and a symptom in the other', () => {
    compileOk(fileWith({ a: typedRunbook(), b: typedRunbook({ precedence: 1 }) }));
    compileOk(fileWith({ a: typedRunbook(), b: typedRunbook({ root_causes: undefined, symptoms: ['pod_crash_loop'] }) }));
  });

  it('rejects a runbook that can never match', () => {
    expect(messages(errorsFor({ root_causes: undefined }))).toEqual([
      'this runbook can never match: expected at least one of triggers, root_causes or symptoms',
    ]);
  });
});

describe('approval settings', () => {
  it('escalates at two thirds of the timeout by default', () => {
    expect(compiled({ approval: { timeout: '15m' } }).approval).toEqual({
      approvers: [],
      quorum: 1,
      timeoutMs: 900_000,
      escalateAfterMs: 600_000,
    });
  });

  it('rejects escalation after the timeout and a quorum larger than the approvers', () => {
    expect(messages(errorsFor({ approval: { timeout: '10m', escalate_after: '10m' } }))).toEqual([
      'escalation must come before the approval times out: expected less than 600s, found 600s',
    ]);
    expect(messages(errorsFor({ approval: { approvers: ['alice'], quorum: 2 } }))).toEqual([
      'quorum cannot exceed the number of approvers: expected at most 1, found 2',
    ]);
  });
});

describe('safety rules', () => {
  it('requires post-checks of whatever runs without a human', () => {
    expect(messages(errorsFor({ post_checks: [] }))).toEqual([
      'runs without a human (LOW risk, auto mode), so it must verify its fix: expected post_checks, found none',
    ]);
  });

  it('requires a declared rollback (or explicit `rollback: null`) of whatever runs without a human', () => {
    expect(messages(errorsFor({ risk: 'MEDIUM', rollback: undefined }))).toEqual([
      'runs without a human (MEDIUM risk, auto mode), so it must declare its rollback: expected rollback steps, a command, or "rollback: null" if the action heals itself, found no rollback',
    ]);
  });

  it('allows an undeclared rollback and no post-checks where a human approves or runs each fix', () => {
    expect(compiled({ mode: 'approval', rollback: undefined, post_checks: undefined })).toMatchObject({
      mode: 'approval',
      rollback: { kind: 'undeclared' },
    });
    expect(compiled({ risk: 'HIGH', rollback: undefined })).toMatchObject({ mode: 'approval', rollback: { kind: 'undeclared' } });
    expect(compiled({ mode: 'suggest', rollback: undefined, post_checks: [] })).toMatchObject({ mode: 'suggest' });
  });

  it('never lets a HIGH risk runbook run in auto mode', () => {
    expect(errorsFor({ risk: 'HIGH', mode: 'auto' })).toEqual([
      expect.objectContaining({
        path: 'runbooks.a.mode',
        message: 'a HIGH risk runbook can never run in auto mode: expected "approval" or "suggest", found "auto"',
      }),
    ]);
  });

  it('defaults LOW and MEDIUM to auto and HIGH (also the default risk) to approval', () => {
    expect(compiled({ risk: 'MEDIUM' }).mode).toBe('auto');
    expect(compiled({ risk: undefined }).mode).toBe('approval');
  });
});

describe('the compiled form', () => {
  it('is deterministic and survives a JSON round trip unchanged (it travels in workflow histories)', () => {
    const text = fileWith({ b: typedRunbook({ root_causes: ['b'] }), a: typedRunbook() });
    const first = compileOk(text);
    expect(compileOk(text)).toEqual(first);
    expect(JSON.parse(JSON.stringify(first))).toStrictEqual(first);
    expect(first.runbooks.map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('is versioned by content: comments, layout and file names do not change the version, policy does', () => {
    const version = (text: string, file = 'x.yaml') => onlyRunbook(compileOk(text, file)).version;
    const base = version(fileWith({ a: typedRunbook() }));
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(version(`# a comment\n\n${stringify({ runbooks: { a: typedRunbook() } }, { indent: 4 })}`, 'y.yaml')).toBe(base);
    expect(version(fileWith({ a: typedRunbook({ min_confidence: 0.81 }) }))).not.toBe(base);
  });

  it('gives the catalogue a version over all runbook versions', () => {
    const one = compileOk(fileWith({ a: typedRunbook(), b: typedRunbook({ root_causes: ['b'] }) }));
    const two = compileOk(fileWith({ a: typedRunbook(), b: typedRunbook({ root_causes: ['b'], max_per_hour: 9 }) }));
    expect(one.version).toMatch(/^[0-9a-f]{64}$/);
    expect(two.version).not.toBe(one.version);
  });
});
