import { describe, expect, it } from 'vitest';
import { parseTemplate, splitCommand, templateSource, urlLayout } from '../../dsl/template';

describe('parseTemplate', () => {
  it("binds the reference exercise's bare {name} to the context field and keeps literals around it", () => {
    const parsed = parseTemplate('--replicas={new_replicas}');
    expect(parsed).toEqual({
      ok: true,
      offsets: [11],
      template: {
        parts: [
          { kind: 'literal', text: '--replicas=' },
          { kind: 'placeholder', path: ['context', 'new_replicas'] },
        ],
      },
    });
  });

  it('accepts context, incident and step-output paths', () => {
    for (const text of ['{context.pod}', '{incident.id}', '{incident.confidence}', '{steps.capture.replicas}']) {
      expect(parseTemplate(text).ok, text).toBe(true);
    }
  });

  it('treats {{ and }} as literal braces, as Python format did in the reference exercise', () => {
    const parsed = parseTemplate('jsonpath={{.spec.replicas}}');
    expect(parsed.ok && parsed.template.parts).toEqual([{ kind: 'literal', text: 'jsonpath={.spec.replicas}' }]);
    if (parsed.ok) expect(templateSource(parsed.template)).toBe('jsonpath={{.spec.replicas}}');
  });

  it.each([
    ['{pod name}', /invalid placeholder \{pod name\}/],
    ['{.spec}', /invalid placeholder/],
    ['{unclosed', /unclosed "\{"/],
    ['a}b', /unmatched "\}"/],
    ['{incident.secret}', /unknown incident field/],
    ['{steps.capture}', /unknown placeholder \{steps.capture\}/],
    ['{context}', /needs a field/],
    ['{a.b}', /unknown placeholder \{a.b\}/],
  ])('rejects %j', (text, message) => {
    const parsed = parseTemplate(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });
});

describe('splitCommand', () => {
  const words = (command: string) => {
    const split = splitCommand(command);
    if (!split.ok) throw new Error(split.message);
    return split.words.map((w) => w.text);
  };

  it("splits on whitespace, as the reference exercise's commands are written", () => {
    expect(words('kubectl delete pod {pod_name} -n {namespace}')).toEqual(['kubectl', 'delete', 'pod', '{pod_name}', '-n', '{namespace}']);
    expect(words('  a \t b  ')).toEqual(['a', 'b']);
  });

  it('supports simple quoting and escapes', () => {
    expect(words(`echo 'a b' "c \\"d\\" \\\\" e\\ f ''`)).toEqual(['echo', 'a b', 'c "d" \\', 'e f', '']);
    expect(words(`kubectl annotate pod x 'note=a;b|c'`)).toEqual(['kubectl', 'annotate', 'pod', 'x', 'note=a;b|c']);
  });

  it('reports where each word starts', () => {
    const split = splitCommand('kubectl  get');
    expect(split.ok && split.words.map((w) => w.offset)).toEqual([0, 9]);
  });

  it.each([
    ['kubectl get pods | grep x', /unquoted "\|".*pipes/],
    ['kubectl delete pod x; rm -rf /', /unquoted ";"/],
    ['kubectl get pods > out', /redirections/],
    ['echo $HOME', /variables/],
    ['echo `id`', /command substitution/],
    ['rm /tmp/*', /glob/],
    ['a && b', /unquoted "&"/],
    ["echo 'open", /unterminated ' quote/],
    ['echo "open', /unterminated " quote/],
    ['echo \\', /trailing backslash/],
    ['   ', /empty command/],
  ])('rejects %j: there is no shell to interpret it', (command, message) => {
    const split = splitCommand(command);
    expect(split.ok).toBe(false);
    if (!split.ok) expect(split.message).toMatch(message);
  });
});

describe('urlLayout', () => {
  const layout = (text: string) => {
    const parsed = parseTemplate(text);
    if (!parsed.ok) throw new Error(parsed.message);
    return urlLayout(parsed.template);
  };

  it('gives the literal origin and what each placeholder fills', () => {
    expect(layout('https://ops.internal:8443/pods/{pod}/x?ns={ns}&all=1#top')).toEqual({
      ok: true,
      origin: 'https://ops.internal:8443',
      roles: ['segment', 'query'],
    });
    expect(layout('http://h')).toEqual({ ok: true, origin: 'http://h', roles: [] });
  });

  it.each([
    ['https://api.internal{p}', 0, true],
    ['https://{host}/x', 0, true],
    ['https://h\\{p}/x', 0, true],
    ['https://h/a/{p}{q}', 0, false],
    ['https://h/a/{p}/b/x{q}', 1, false],
    ['https://h/?a={p}x', 0, false],
  ])('refuses %j at placeholder %i', (text, placeholder, authority) => {
    expect(layout(text)).toMatchObject({ ok: false, placeholder, authority });
  });
});
