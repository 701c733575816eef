/**
 * What compiling any step kind needs: where errors go, what placeholders may name, and templates
 * checked against both.
 */
import type { At } from '../diagnostics';
import { anyOf, obj, str, type Typed } from '../schema-builder';
import { didYouMean } from '../suggest';
import { parseTemplate, placeholders, templateSource, type TemplateParse } from '../template';
import { isSecretName, isSecretRef, secretLabel } from '../secret-ref';
import type { ParamDecl, Template, TextOrSecret } from '../types';
import type { PathSegment } from '../yaml-source';

export type Report = (path: readonly PathSegment[], message: string, at?: At) => void;

/** What the code being compiled may reference, and where its errors go. */
export interface StepScope {
  report: Report;
  /** Declared context, or null: placeholders are then checked per incident. */
  context: Record<string, ParamDecl> | null;
  /** Outputs of the steps that run before, by step id; 'any' while checking a shared definition on its own. */
  outputs: ReadonlyMap<string, ReadonlySet<string>> | 'any';
  /** The runbook's allowed Kubernetes namespaces; undefined while checking a shared definition on its own. */
  namespaces?: readonly string[];
  /** Shells and launchers the operator allows as programs anyway (compile option `allowedPrograms`). */
  allowedPrograms?: readonly string[];
  /** The operator policy's Prometheus server names (compile option `prometheusServers`); undefined: not checked. */
  prometheusServers?: readonly string[];
  /** The operator policy's secret names (compile option `secrets`); undefined: none, so every reference is an error. */
  secrets?: readonly string[];
}

/** What a runbook may write where a secret reference is allowed: text, or `{ secret: NAME }`. */
export type RawTextOrSecret = string | { secret: string };

/** Its part of the runbook schema; the name is checked by the compiler, which knows the policy's names. */
export function textOrSecret(description?: string): Typed<RawTextOrSecret> {
  return anyOf(
    [
      str(),
      obj(
        { secret: str({ description: "A secret's name in the operator policy (docs/secrets.md)." }) },
        { required: ['secret'], description: 'A reference to a secret the operator policy defines; its value never enters history.' },
      ),
    ],
    description === undefined ? {} : { description },
  );
}

/** Text compiles as a template; `{ secret: NAME }` as a reference to a secret the operator policy defines. */
export function compileTextOrSecret(raw: RawTextOrSecret, path: readonly PathSegment[], scope: StepScope): TextOrSecret | undefined {
  if (typeof raw === 'string') return compileTemplate(raw, path, scope);
  const name = raw.secret;
  const known = scope.secrets ?? [];
  if (!isSecretName(name)) {
    scope.report([...path, 'secret'], `invalid secret name ${JSON.stringify(name)}: expected a letter, then up to 63 letters, digits or _`);
    return undefined;
  }
  if (!known.includes(name)) {
    const defined =
      known.length > 0
        ? `${didYouMean(name, known)}; the operator policy defines: ${known.join(', ')}`
        : ': the operator must define it under secrets: in the operator policy (none are defined here; `remediate validate --policy FILE` checks against one)';
    scope.report([...path, 'secret'], `unknown ${secretLabel(name)}${defined}`);
    return undefined;
  }
  return { kind: 'secret', name };
}

export function compileTextOrSecretMap(
  raw: Record<string, RawTextOrSecret>,
  path: readonly PathSegment[],
  scope: StepScope,
): Record<string, TextOrSecret> | undefined {
  let ok = true;
  const out: Record<string, TextOrSecret> = {};
  for (const [key, value] of Object.entries(raw)) {
    const compiled = compileTextOrSecret(value, [...path, key], scope);
    if (compiled) out[key] = compiled;
    else ok = false;
  }
  return ok ? out : undefined;
}

export function compileTemplate(text: string, path: readonly PathSegment[], scope: StepScope, baseOffset = 0): Template | undefined {
  return checkTemplate(parseTemplate(text), path, scope, baseOffset);
}

/** A parsed template (of any syntax), its parse error or each placeholder it may not use reported. */
export function checkTemplate(parsed: TemplateParse, path: readonly PathSegment[], scope: StepScope, baseOffset = 0): Template | undefined {
  if (!parsed.ok) {
    scope.report(path, parsed.message, { offset: baseOffset + parsed.offset });
    return undefined;
  }
  let ok = true;
  placeholders(parsed.template).forEach((placeholder, i) => {
    const problem = placeholderProblem(placeholder, scope);
    if (problem) {
      scope.report(path, problem, { offset: baseOffset + (parsed.offsets[i] ?? 0) });
      ok = false;
    }
  });
  return ok ? parsed.template : undefined;
}

function placeholderProblem(path: string[], scope: StepScope): string | undefined {
  const [root, name = '', output = ''] = path;
  if (root === 'context' && scope.context && !(name in scope.context)) {
    const declared = Object.keys(scope.context);
    return `placeholder {${name}} is not declared in the runbook's context${didYouMean(name, declared)}; declared: ${
      declared.length > 0 ? declared.join(', ') : 'nothing'
    }`;
  }
  if (root === 'steps' && scope.outputs !== 'any') {
    const outputs = scope.outputs.get(name);
    if (!outputs) {
      const earlier = [...scope.outputs.keys()];
      return `placeholder {steps.${name}.${output}}: no earlier step "${name}" with outputs${didYouMean(name, earlier)}${
        earlier.length > 0 ? `; steps with outputs so far: ${earlier.join(', ')}` : ''
      }`;
    }
    if (!outputs.has(output)) {
      return `placeholder {steps.${name}.${output}}: step "${name}" has no output "${output}"${didYouMean(output, outputs)}; it has: ${[...outputs].join(', ')}`;
    }
  }
  return undefined;
}

/** A compiled value in source form: the template's text, or `secret:NAME`. */
export function sourceOf(value: TextOrSecret): string {
  return isSecretRef(value) ? secretLabel(value.name) : templateSource(value);
}

/** The literal text a template starts with ('' when it starts with a placeholder). */
export function leadingLiteral(template: Template): string {
  const first = template.parts[0];
  return first?.kind === 'literal' ? first.text : '';
}

/** Wrap a scope so a caller can tell whether its part reported anything. */
export function countingScope(scope: StepScope): { scope: StepScope; count: () => number } {
  let count = 0;
  return {
    scope: {
      ...scope,
      report: (path, message, at) => {
        count += 1;
        scope.report(path, message, at);
      },
    },
    count: () => count,
  };
}

/** A record with each value mapped, keys in the same order. */
export function mapValues<T, U>(record: Record<string, T>, fn: (value: T) => U): Record<string, U> {
  const out: Record<string, U> = {};
  for (const [key, value] of Object.entries(record)) out[key] = fn(value);
  return out;
}
