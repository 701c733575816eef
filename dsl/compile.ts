/**
 * The runbook compiler: YAML source files in, a deterministic, versioned
 * catalogue out, or every error of every file with its position. Pure: the
 * caller reads the files (cli/load-runbooks.ts).
 */
import { CHECK_QUERIES_KEY, checkQueryProblem } from './check-queries';
import { buildCheckLibrary } from './compile-checks';
import { compileRunbook, type RunbookDraft, type TriggerClaim } from './compile-runbook';
import { Diagnostics } from './diagnostics';
import { sha256Hex, stableStringify } from './hash';
import { RUNBOOK_PATTERN_NAMES, runbookFileSchema, type RawRunbookFile } from './runbook-schema';
import { schemaValidator } from './schema-check';
import type { CompiledCatalogue, CompiledRunbook, CompileError, CompileResult, SourceFile } from './types';
import { parseYaml } from './yaml-source';

const validateRunbookFile = schemaValidator<RawRunbookFile>(runbookFileSchema, RUNBOOK_PATTERN_NAMES);

interface FileDraft {
  draft: RunbookDraft;
  diag: Diagnostics;
}

/** Operator choices the compiler applies to every runbook. */
export interface CompileOptions {
  /**
   * Shells and program launchers (sh, env, python, ...; steps/exec.ts LAUNCHERS) that may be
   * the program of an exec step anyway, by basename or exact path. Default: none.
   */
  allowedPrograms?: readonly string[];
  /**
   * The operator policy's Prometheus server names: a prometheus step naming another one is a compile
   * error. Default: not checked (the worker fails such a probe closed at run time).
   */
  prometheusServers?: readonly string[];
  /**
   * The operator's queries for the standard library's Prometheus checks, by check name (operator
   * policy `prometheus.check_queries`): each replaces that check's standard query. Default: none.
   */
  checkQueries?: ReadonlyMap<string, string>;
  /**
   * The operator policy's secret names (`secrets:`, docs/secrets.md): a `{ secret: NAME }` naming
   * another is a compile error. Default: none, so every secret reference is an error.
   */
  secrets?: readonly string[];
}

export function compileCatalogue(files: readonly SourceFile[], options: CompileOptions = {}): CompileResult {
  const errors: CompileError[] = checkQueryErrors(options.checkQueries);
  if (errors.length > 0) return { ok: false, errors };
  const drafts: FileDraft[] = [];
  for (const file of files) {
    try {
      const compiled = compileFile(file, options);
      errors.push(...compiled.errors);
      drafts.push(...compiled.drafts);
    } catch (error) {
      // Never throw on user input; a crash here is a compiler bug, reported as such.
      errors.push({ file: file.file, line: 1, column: 1, path: '', message: `internal compiler error: ${(error as Error).message}` });
    }
  }
  const unique = rejectDuplicateIds(drafts);
  errors.push(...unique.errors, ...rejectAmbiguousMatches(unique.drafts));
  if (errors.length > 0) return { ok: false, errors: sortErrors(errors, files) };
  return { ok: true, catalogue: catalogueOf(unique.drafts.map(({ draft }) => withVersion(draft.runbook))) };
}

/** A replacement query the operator policy's loader would have refused (it locates them in the policy file). */
function checkQueryErrors(queries: ReadonlyMap<string, string> | undefined): CompileError[] {
  return [...(queries ?? [])].flatMap(([name, query]) => {
    const problem = checkQueryProblem(name, query);
    const path = `${CHECK_QUERIES_KEY}.${name}`;
    return problem ? [{ file: '(operator policy)', line: 1, column: 1 + (problem.offset ?? 0), path, message: problem.message }] : [];
  });
}

function compileFile(source: SourceFile, options: CompileOptions): { errors: CompileError[]; drafts: FileDraft[] } {
  const parsed = parseYaml(source.text);
  if (!parsed.ok) {
    return {
      errors: parsed.errors.map(({ position, message }) => ({ file: source.file, ...position, path: '', message })),
      drafts: [],
    };
  }
  const diag = new Diagnostics(source.file, parsed.source);
  const validated = validateRunbookFile(parsed.value);
  const broken = { runbooks: new Set<string>(), checks: new Set<string>(), file: false };
  if (!validated.ok) {
    for (const issue of validated.issues) {
      diag.error(issue.path, issue.message, { key: issue.key });
      const [section, name] = issue.path;
      if (name === undefined || (section !== 'runbooks' && section !== 'checks')) {
        if (section === 'runbooks' || section === 'checks' || issue.path.length === 0) broken.file = true;
      } else {
        broken[section].add(String(name));
      }
    }
  }
  if (broken.file) return { errors: diag.errors, drafts: [] };
  const file = parsed.value as RawRunbookFile;
  const library = buildCheckLibrary(file.checks ?? {}, broken.checks, diag, options.checkQueries);
  const drafts: FileDraft[] = [];
  for (const [id, raw] of Object.entries(file.runbooks)) {
    if (broken.runbooks.has(id)) continue;
    const draft = compileRunbook(id, raw, source.file, diag, library, options);
    if (draft) drafts.push({ draft, diag });
  }
  return { errors: diag.errors, drafts };
}

/** Runbook ids are unique per file (YAML keys); across files, the first definition wins and the others are errors. */
function rejectDuplicateIds(drafts: FileDraft[]): { drafts: FileDraft[]; errors: CompileError[] } {
  const first = new Map<string, FileDraft>();
  const errors: CompileError[] = [];
  for (const entry of drafts) {
    const id = entry.draft.runbook.id;
    const earlier = first.get(id);
    if (!earlier) {
      first.set(id, entry);
      continue;
    }
    const at = earlier.draft.runbook.source;
    const error = entry.diag.error(['runbooks', id], `duplicate runbook id "${id}": already defined in ${at.file}:${at.line}`, {
      key: true,
    });
    if (error) errors.push(error);
  }
  return { drafts: [...first.values()], errors };
}

/**
 * Two runbooks claiming the same root cause (or the same symptom) at the same
 * precedence would make the match depend on file order, which the seed did by
 * accident: reject it and ask for a precedence.
 */
function rejectAmbiguousMatches(drafts: FileDraft[]): CompileError[] {
  const claimed = new Map<string, { entry: FileDraft; claim: TriggerClaim }>();
  const errors: CompileError[] = [];
  const reported = new Set<string>();
  for (const entry of drafts) {
    const { runbook, claims } = entry.draft;
    for (const claim of claims) {
      const key = `${claim.kind}\u0000${claim.value}\u0000${runbook.match.precedence}`;
      const earlier = claimed.get(key);
      if (!earlier) {
        claimed.set(key, { entry, claim });
        continue;
      }
      const other = earlier.entry.draft.runbook;
      const once = `${runbook.id}\u0000${other.id}\u0000${claim.value}`;
      if (reported.has(once)) continue;
      reported.add(once);
      const what = claim.kind === 'root_cause' ? 'root cause' : 'symptom';
      const error = entry.diag.error(
        claim.path,
        `ambiguous match: runbooks "${other.id}" (${other.source.file}:${other.source.line}) and "${runbook.id}" both claim ${what} "${claim.value}" at precedence ${runbook.match.precedence}; give one of them a higher "precedence"`,
      );
      if (error) errors.push(error);
    }
  }
  return errors;
}

/** The version is a hash of everything that decides behaviour (not where it was written). */
function withVersion(runbook: Omit<CompiledRunbook, 'version'>): CompiledRunbook {
  const { source: _source, ...content } = runbook;
  return { ...runbook, version: sha256Hex(stableStringify(content)) };
}

function catalogueOf(runbooks: CompiledRunbook[]): CompiledCatalogue {
  const sorted = [...runbooks].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { runbooks: sorted, version: sha256Hex(sorted.map((r) => `${r.id}@${r.version}`).join('\n')) };
}

function sortErrors(errors: CompileError[], files: readonly SourceFile[]): CompileError[] {
  const order = new Map(files.map((f, i) => [f.file, i]));
  return [...errors].sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || a.line - b.line || a.column - b.column);
}
