/**
 * The exec step kind: run a program directly, argv without a shell. A seed command string is split
 * into argv when compiled, one placeholder binding per word. activities/executors/exec.ts runs it.
 */
import type { At } from '../diagnostics';
import { arr, define, int, obj, record, str, type Static } from '../schema-builder';
import { isLiteral, splitCommand, templateSource } from '../template';
import { isSecretRef, shownText } from '../secret-ref';
import type { ExecSpec, ResolvedExec, ResolvedText, Template, TextOrSecret } from '../types';
import type { PathSegment } from '../yaml-source';
import type { Filler, PlacedTemplate, Slot, StepKindModule } from './kind';
import {
  compileTemplate,
  compileTextOrSecret,
  compileTextOrSecretMap,
  leadingLiteral,
  mapValues,
  sourceOf,
  textOrSecret,
  type StepScope,
} from './support';

const schema = define(
  'exec',
  obj(
    {
      argv: arr(textOrSecret(), {
        minItems: 1,
        description: 'Program and arguments; each element may contain {placeholders}, or be { secret: NAME }. Never run through a shell.',
      }),
      env: record(textOrSecret(), {
        description: 'Extra environment variables (values may contain {placeholders}, or be { secret: NAME }).',
      }),
      cwd: str(),
      ok_exit_codes: arr(int({ minimum: 0, maximum: 255 }), {
        minItems: 1,
        description: 'Exit codes that count as success (default [0]).',
      }),
    },
    { required: ['argv'], description: 'Run a program directly (no shell).' },
  ),
);

export type RawExec = Static<typeof schema>;

/**
 * Programs that run other programs or code given as arguments: as argv[0] they
 * would bring back the shell this DSL does without (`sh -c`, `env X=1 cmd`, `node -e`).
 */
export const LAUNCHERS: ReadonlySet<string> = new Set([
  'sh',
  'bash',
  'dash',
  'zsh',
  'ksh',
  'csh',
  'tcsh',
  'fish',
  'env',
  'xargs',
  'nohup',
  'sudo',
  'su',
  'doas',
  'nice',
  'timeout',
  'busybox',
  'python',
  'python3',
  'perl',
  'ruby',
  'node',
  'eval',
]);

/** The program must be literal (incident data never picks it) and not a shell or launcher, unless the operator allows it. */
function checkProgram(argv: TextOrSecret[], path: readonly PathSegment[], scope: StepScope, at?: At): boolean {
  const program = argv[0];
  if (!program) return true;
  if (isSecretRef(program) || !isLiteral(program)) {
    scope.report(path, `the program to run must be written literally, found ${sourceOf(program)}`, at);
    return false;
  }
  const text = leadingLiteral(program);
  const base = text.slice(text.lastIndexOf('/') + 1);
  if (LAUNCHERS.has(base) && !scope.allowedPrograms?.some((allowed) => allowed === base || allowed === text)) {
    scope.report(
      path,
      `"${text}" runs other programs or code from its arguments, like a shell, so it cannot be the program: run the real program directly (or the operator allows it with the compile option allowedPrograms)`,
      at,
    );
    return false;
  }
  return true;
}

function compile(raw: RawExec, path: readonly PathSegment[], scope: StepScope): ExecSpec | undefined {
  let ok = true;
  const argv: TextOrSecret[] = [];
  raw.argv.forEach((arg, i) => {
    const compiled = compileTextOrSecret(arg, [...path, 'argv', i], scope);
    if (compiled) argv.push(compiled);
    else ok = false;
  });
  if (ok) ok = checkProgram(argv, [...path, 'argv', 0], scope);
  const env = compileTextOrSecretMap(raw.env ?? {}, [...path, 'env'], scope);
  if (!ok || !env) return undefined;
  const spec: ExecSpec = { executor: 'exec', argv, env, okExitCodes: raw.ok_exit_codes ?? [0] };
  if (raw.cwd !== undefined) spec.cwd = raw.cwd;
  return spec;
}

/** The seed's command strings: split into argv at compile time, one placeholder binding per word. */
export function compileCommand(command: string, path: readonly PathSegment[], scope: StepScope): ExecSpec | undefined {
  const split = splitCommand(command);
  if (!split.ok) {
    scope.report(path, split.message, { offset: split.offset });
    return undefined;
  }
  let ok = true;
  const argv: Template[] = [];
  for (const word of split.words) {
    const template = compileTemplate(word.text, path, scope, word.offset);
    if (template) argv.push(template);
    else ok = false;
  }
  if (ok) ok = checkProgram(argv, path, scope, { offset: split.words[0]!.offset });
  return ok ? { executor: 'exec', argv, env: {}, okExitCodes: [0] } : undefined;
}

/** Each argv element's slot: whether a literal "--" (end of options) comes before it. */
function argvSlots(argv: TextOrSecret[]): Slot[] {
  const dashDash = argv.findIndex(
    (arg) => !isSecretRef(arg) && arg.parts.length === 1 && arg.parts[0]!.kind === 'literal' && arg.parts[0]!.text === '--',
  );
  return argv.map((_, i) => ({ sink: 'line', at: `argv[${i}]`, argv: { afterDashDash: dashDash >= 0 && i > dashDash } }));
}

const ENV_SLOT: Slot = { sink: 'line', at: 'env' };

function templates(spec: ExecSpec): PlacedTemplate[] {
  const slots = argvSlots(spec.argv);
  const placed = (value: TextOrSecret, slot: Slot): PlacedTemplate[] => (isSecretRef(value) ? [] : [{ template: value, slot }]);
  return [
    ...spec.argv.flatMap((value, i) => placed(value, slots[i]!)),
    ...Object.values(spec.env).flatMap((value) => placed(value, ENV_SLOT)),
  ];
}

/** A secret reference stays a reference: the activity reads its value. */
function renderText(value: TextOrSecret, slot: Slot, fill: Filler): ResolvedText {
  return isSecretRef(value) ? { secret: value.name } : fill.text(value, slot);
}

/** Quote arguments a reader could otherwise misread; this is display only, never executed by a shell. */
function describe(run: ResolvedExec): string {
  return run.argv
    .map(shownText)
    .map((arg) => (/^[A-Za-z0-9_./:=@%+,{}-]+$/.test(arg) ? arg : JSON.stringify(arg)))
    .join(' ');
}

export const execStep: StepKindModule<'exec', RawExec> = {
  kind: 'exec',
  schema,
  compile,
  templates,
  render(spec, fill) {
    const slots = argvSlots(spec.argv);
    const resolved: ResolvedExec = {
      executor: 'exec',
      argv: spec.argv.map((arg, i) => renderText(arg, slots[i]!, fill)),
      env: mapValues(spec.env, (value) => renderText(value, ENV_SLOT, fill)),
      okExitCodes: spec.okExitCodes,
    };
    if (spec.cwd !== undefined) resolved.cwd = spec.cwd;
    return resolved;
  },
  describeSpec: (spec) => spec.argv.map(sourceOf).join(' '),
  describe,
  /** How it ended, and the last lines of stderr, which usually say why. */
  describeResult(result) {
    const why = result.signal ? `killed by ${result.signal}` : `exit ${result.exitCode}`;
    const stderr = result.stderr.trim().split('\n').slice(-3).join(' | ');
    return stderr ? `${why}: ${stderr}` : why;
  },
};
