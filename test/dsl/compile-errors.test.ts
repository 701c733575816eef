import { describe, expect, it } from 'vitest';
import { compileCatalogue } from '../../dsl/compile';
import { compileErrors, fileWith, messages, SEED_RUNBOOKS, typedRunbook } from './helpers';

describe('malformed YAML', () => {
  it('reports duplicate keys with their position', () => {
    const errors = compileErrors(['runbooks:', '  a:', '    risk: LOW', '    risk: HIGH', ''].join('\n'));
    expect(errors).toEqual([
      expect.objectContaining({ file: 'test.yaml', line: 4, column: 5, message: expect.stringMatching(/^duplicate key/) }),
    ]);
  });

  it('reports tabs used for indentation with their position', () => {
    const errors = compileErrors(['runbooks:', '  a:', '\trisk: LOW', ''].join('\n'));
    expect(errors[0]).toMatchObject({ line: 3, message: expect.stringMatching(/tab/i) });
  });

  it('reports bad indentation with its position', () => {
    const errors = compileErrors(['runbooks:', '  a:', '    risk: LOW', '   min_confidence: 0.5', ''].join('\n'));
    expect(errors).toEqual([expect.objectContaining({ line: 4, column: 1, message: expect.stringMatching(/^bad indentation: /) })]);
  });

  it('reports an unterminated quote', () => {
    expect(compileErrors('runbooks:\n  a:\n    risk: "LOW\n')[0]).toMatchObject({ message: 'invalid YAML: Missing closing "quote' });
  });

  it('rejects unknown tags instead of guessing', () => {
    expect(compileErrors('runbooks: !include other.yaml\n')).toEqual([
      expect.objectContaining({ line: 1, column: 11, message: 'unsupported YAML tag: Unresolved tag: !include' }),
    ]);
  });

  it('rejects a second YAML document', () => {
    expect(compileErrors('runbooks: {}\n---\nrunbooks: {}\n')).toEqual([
      expect.objectContaining({ line: 2, message: 'expected one YAML document per file, found a second one (---)' }),
    ]);
  });

  it('refuses alias expansion bombs instead of hanging', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [name, previous] of [
      ['b', 'a'],
      ['c', 'b'],
      ['d', 'c'],
      ['e', 'd'],
      ['f', 'e'],
      ['g', 'f'],
    ]) {
      lines.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`);
    }
    lines.push('runbooks: {}');
    expect(compileErrors(lines.join('\n'))).toEqual([
      expect.objectContaining({
        line: 1,
        column: 1,
        message: 'invalid YAML: Excessive alias count indicates a resource exhaustion attack',
      }),
    ]);
  });

  it('reports an empty file', () => {
    expect(compileErrors('')).toEqual([
      expect.objectContaining({ line: 1, column: 1, message: 'expected a map of fields, found nothing (null)' }),
    ]);
  });

  it('reports every file with errors, not just the first', () => {
    const result = compileCatalogue([
      { file: 'a.yaml', text: 'runbooks:\n  x: [\n' },
      { file: 'ok.yaml', text: SEED_RUNBOOKS },
      { file: 'b.yaml', text: 'runbookz: {}\n' },
    ]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect([...new Set(result.errors.map((e) => e.file))]).toEqual(['a.yaml', 'b.yaml']);
  });
});

describe('schema errors', () => {
  it('names an unknown field at its key, suggesting the known one', () => {
    const text = ['runbooks:', '  restart-pod:', '    risk: LOW', '    triggers: [x]', '    min_confidense: 0.8', ''].join('\n');
    const errors = compileErrors(text);
    expect(errors).toContainEqual({
      file: 'test.yaml',
      line: 5,
      column: 5,
      path: 'runbooks.restart-pod.min_confidense',
      message: expect.stringMatching(/^unknown field "min_confidense" \(did you mean "min_confidence"\?\); expected one of: name, /),
    });
    expect(errors).toContainEqual(
      expect.objectContaining({ line: 2, column: 3, path: 'runbooks.restart-pod', message: 'missing required field "min_confidence"' }),
    );
  });

  it('reports min_confidence outside [0, 1] at the value, with what it found', () => {
    const text = ['runbooks:', '  a:', '    triggers: [x]', '    min_confidence: 1.5', ''].join('\n');
    expect(compileErrors(text)).toContainEqual({
      file: 'test.yaml',
      line: 4,
      column: 21,
      path: 'runbooks.a.min_confidence',
      message: 'expected a number between 0 and 1, found 1.5',
    });
    expect(messages(compileErrors(fileWith({ a: typedRunbook({ min_confidence: -0.1 }) })))).toEqual([
      'expected a number between 0 and 1, found -0.1',
    ]);
  });

  it.each([
    ['max_per_hour', 0, 'expected an integer > 0, found 0'],
    ['max_per_hour', 1.5, 'expected an integer, found 1.5'],
    ['blast_radius_limit', 0, 'expected an integer > 0, found 0'],
    ['cooldown_minutes', -1, 'expected a number >= 0, found -1'],
    ['circuit_breaker', { failure_threshold: 0 }, 'expected an integer > 0, found 0'],
    ['approval', { quorum: 0 }, 'expected an integer > 0, found 0'],
    ['risk', 'low', 'expected one of "LOW", "MEDIUM", "HIGH", found "low"'],
    ['mode', 'yolo', 'expected one of "suggest", "approval", "auto", found "yolo"'],
    ['circuit_breaker', { recovery_timeout: 'soon' }, 'expected a duration like "500ms", "30s", "5m" or "1h", found "soon"'],
    ['circuit_breaker', { recovery_timeout: true }, 'expected a duration: "500ms", "30s", "5m", "1h", or a number of seconds, found true'],
    ['triggers', 'x', 'expected a list, found "x"'],
    ['pre_checks', [42], 'expected a check: a name, or an object, found 42'],
    ['context', { pod: 'text' }, 'expected one of "string", "int", "number", "bool", "dns_label", "dns_subdomain", found "text"'],
  ])('rejects %s: %j', (field, value, message) => {
    expect(messages(compileErrors(fileWith({ a: typedRunbook({ [field]: value }) })))).toContain(message);
  });

  it('rejects a runbook id that is not a plain lowercase name, at its key', () => {
    const errors = compileErrors(fileWith({ Restart_Pod: typedRunbook() }));
    expect(errors).toEqual([
      expect.objectContaining({
        line: 2,
        column: 3,
        path: 'runbooks.Restart_Pod',
        message: 'invalid name "Restart_Pod": expected a runbook id: lowercase letters, digits, "-" and "_"',
      }),
    ]);
  });

  it('reports all the errors of a file at once, each at its own position', () => {
    const text = [
      'runbooks:',
      '  a:',
      '    risk: low',
      '    triggers: [x]',
      '    min_confidence: 2',
      '  b:',
      '    triggers: [y]',
      '    min_confidence: 0.5',
      '    max_per_hour: 0',
      '    colour: blue',
      '',
    ].join('\n');
    expect(compileErrors(text).map((e) => [e.line, e.path])).toEqual([
      [3, 'runbooks.a.risk'],
      [5, 'runbooks.a.min_confidence'],
      [9, 'runbooks.b.max_per_hour'],
      [10, 'runbooks.b.colour'],
    ]);
  });

  it('paths name list items by index', () => {
    const errors = compileErrors(fileWith({ a: typedRunbook({ pre_checks: ['replicas_greater_than_one', 'Bad Name'] }) }));
    expect(errors[0]).toMatchObject({
      path: 'runbooks.a.pre_checks[1]',
      message: 'expected a check name: lowercase letters, digits and "_", starting with a letter, found "Bad Name"',
    });
  });
});

describe('placeholder rules: errors with positions', () => {
  const file = (url: string, argv: string[]) =>
    [
      'runbooks:',
      '  a:',
      '    triggers: [x]',
      '    min_confidence: 0.5',
      '    risk: HIGH',
      '    actions:',
      `      - { id: c, http: { url: "${url}" } }`,
      `      - { id: e, exec: { argv: [${argv.join(', ')}] } }`,
      '',
    ].join('\n');

  it('points at the placeholder in a URL, and at the program in argv', () => {
    const errors = compileErrors(file('https://h/pods/x{pod}', ['bash', '-c', 'x']));
    expect(errors).toEqual([
      expect.objectContaining({
        line: 7,
        column: 48,
        path: 'runbooks.a.actions[0].http.url',
        message: expect.stringMatching(/^a placeholder in a URL path must be a whole segment/),
      }),
      expect.objectContaining({
        line: 8,
        column: 33,
        path: 'runbooks.a.actions[1].exec.argv[0]',
        message: expect.stringMatching(/^"bash" runs other programs/),
      }),
    ]);
  });
});
