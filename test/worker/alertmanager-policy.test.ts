import { describe, expect, it } from 'vitest';
import { parseOperatorPolicy, PolicyFileError, type PolicyError } from '../../worker/operator-policy';

const FILE = 'conf/policy.yaml';

const RULES = `alertmanager:
  rules:
    - name: checkout-errors
      match: { alertname: HighErrorRate, severity: page }
      match_re: { service: "checkout|payments" }
      root_cause: error_rate_spike_after_deploy
      service: { label: service }
      confidence: { annotation: confidence, default: 0.9 }
      context:
        deployment: { label: deployment, type: dns_subdomain }
        namespace: { label: namespace, type: dns_label }
        error_ratio: { annotation: value, type: number }
    - name: disk
      match: { alertname: DiskFull }
      root_cause: disk_full
      service: { value: storage }
      confidence: { default: 0.8 }
`;

function errorsOf(text: string): PolicyError[] {
  try {
    parseOperatorPolicy(FILE, text, () => '');
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyFileError);
    return (error as PolicyFileError).errors;
  }
  throw new Error('expected a PolicyFileError');
}

describe('operator policy: alertmanager.rules', () => {
  it('loads the rules in order, matchers and sources typed, regexes anchored', () => {
    const { alertmanagerRules } = parseOperatorPolicy(FILE, RULES, () => '');
    expect(alertmanagerRules.map((r) => r.name)).toEqual(['checkout-errors', 'disk']);
    const [checkout, disk] = alertmanagerRules;
    expect(checkout).toMatchObject({
      rootCause: 'error_rate_spike_after_deploy',
      service: { kind: 'label', name: 'service' },
      confidence: { source: { kind: 'annotation', name: 'confidence' }, fallback: 0.9 },
      context: [
        { field: 'deployment', source: { kind: 'label', name: 'deployment' }, type: 'dns_subdomain' },
        { field: 'namespace', source: { kind: 'label', name: 'namespace' }, type: 'dns_label' },
        { field: 'error_ratio', source: { kind: 'annotation', name: 'value' }, type: 'number' },
      ],
    });
    const regex = checkout!.matchers.find((m) => m.kind === 'regex');
    expect(regex?.kind === 'regex' && [regex.regex.test('checkout'), regex.regex.test('checkout-canary')]).toEqual([true, false]);
    expect(disk).toMatchObject({ service: { kind: 'literal', value: 'storage' }, confidence: { fallback: 0.8 }, context: [] });
  });

  it('no alertmanager section: no rules, so every alert is unmapped', () => {
    expect(parseOperatorPolicy(FILE, 'limits: { max_concurrent: 2 }\n', () => '').alertmanagerRules).toEqual([]);
  });

  it('refuses a misspelt key, at its line and column', () => {
    const errors = errorsOf(RULES.replace('root_cause: disk_full', 'root_cause: disk_full\n      rootcause: x'));
    expect(errors).toEqual([expect.objectContaining({ line: 16, column: 7, path: 'alertmanager.rules[1].rootcause' })]);
    expect(errors[0]!.message).toMatch(/did you mean "root_cause"/);
  });

  it('refuses two sources for one value, and none at all, at the value', () => {
    const errors = errorsOf(
      RULES.replace('service: { label: service }', 'service: { label: service, value: checkout }').replace(
        'confidence: { default: 0.8 }',
        'confidence: {}',
      ),
    );
    expect(errors.map((e) => [e.line, e.path])).toEqual([
      [7, 'alertmanager.rules[0].service'],
      [17, 'alertmanager.rules[1].confidence'],
    ]);
    expect(errors[0]!.message).toBe('expected exactly one of label, annotation or value, found label and value');
    expect(errors[1]!.message).toMatch(/or a default/);
  });

  it('refuses a context type it does not know, and a confidence default outside [0, 1] (the schema: nothing else is checked)', () => {
    const errors = errorsOf(RULES.replace('type: dns_label', 'type: label').replace('default: 0.9', 'default: 1.5'));
    expect(errors.map((e) => [e.line, e.path])).toEqual([
      [8, 'alertmanager.rules[0].confidence.default'],
      [11, 'alertmanager.rules[0].context.namespace.type'],
    ]);
  });

  it('refuses a regex that does not compile, a rule without matchers, and a repeated name', () => {
    const errors = errorsOf(
      RULES.replace('"checkout|payments"', '"(checkout"')
        .replace('match: { alertname: DiskFull }', 'match: {}')
        .replace('name: disk', 'name: checkout-errors'),
    );
    expect(errors.map((e) => [e.path, e.message])).toEqual([
      ['alertmanager.rules[0].match_re.service', expect.stringMatching(/^not a regular expression/)],
      ['alertmanager.rules[1]', expect.stringMatching(/at least one matcher/)],
      ['alertmanager.rules[1].name', 'rule "checkout-errors" is defined twice: rule names must be distinct'],
    ]);
  });

  it('refuses a label name Prometheus would not have', () => {
    const errors = errorsOf(RULES.replace('service: { label: service }', 'service: { label: "9lives" }'));
    expect(errors).toEqual([expect.objectContaining({ path: 'alertmanager.rules[0].service.label' })]);
    expect(errors[0]!.message).toMatch(/a label name/);
  });
});
