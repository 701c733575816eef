/**
 * One runbook, schema-valid YAML in, compiled form out: defaults from the
 * seed, semantic checks, and the safety rules of the seed's principles.
 * The parts live by job: what it matches (./compile-match), its policies
 * (./compile-policies) and its step lists (./compile-step-lists).
 */
import type { CheckLibrary } from './compile-checks';
import { matchClaims, matchOf, type TriggerClaim } from './compile-match';
import { approvalPolicy, automationOf, guardrailSettings, requireSafetyNet } from './compile-policies';
import { compileStepLists } from './compile-step-lists';
import { requireLiveVerification } from './compile-verification';
import type { StepScope } from './compile-steps';
import type { Diagnostics } from './diagnostics';
import type { ContextDecl } from './render';
import type { RawContextField, RawRunbook } from './runbook-schema';
import type { CompiledRunbook, ParamDecl } from './types';
import type { PathSegment } from './yaml-source';

export type { TriggerClaim } from './compile-match';

export interface RunbookDraft {
  runbook: Omit<CompiledRunbook, 'version'>;
  claims: TriggerClaim[];
}

/** Diagnostics come in a fixed order: mode, matching, steps, safety net, live verification, approval, guardrails. */
export function compileRunbook(
  id: string,
  raw: RawRunbook,
  file: string,
  diag: Diagnostics,
  library: CheckLibrary,
  options: { allowedPrograms?: readonly string[]; prometheusServers?: readonly string[]; secrets?: readonly string[] } = {},
): RunbookDraft | undefined {
  const path: PathSegment[] = ['runbooks', id];
  const before = diag.count;
  const report: StepScope['report'] = (p, m, at) => diag.error(p, m, at);

  const { risk, mode } = automationOf(raw, path, report);
  const claims = matchClaims(raw, path, report);
  const context = raw.context === undefined ? null : contextDecls(raw.context);
  const { allowedPrograms, prometheusServers, secrets } = options;
  const steps = compileStepLists(
    raw,
    path,
    { report, context, namespaces: raw.namespaces ?? [], allowedPrograms, prometheusServers, secrets },
    library,
  );
  requireSafetyNet(raw, path, risk, mode, report);
  requireLiveVerification(raw, path, { risk, mode }, steps.postChecks, report);
  const approval = approvalPolicy(raw, path, report);
  const guardrails = guardrailSettings(raw, path, report);

  if (diag.count > before) return undefined;
  return {
    claims,
    runbook: {
      id,
      name: raw.name ?? id,
      description: raw.description ?? '',
      owner: raw.owner ?? '',
      risk,
      mode,
      match: matchOf(claims, raw),
      minConfidence: raw.min_confidence,
      guardrails,
      approval,
      context,
      ...steps,
      source: { file, line: diag.position(path, { key: true }).line },
    },
  };
}

function contextDecls(raw: Record<string, RawContextField>): Record<string, ParamDecl> {
  const out: Record<string, ParamDecl> = {};
  for (const [name, field] of Object.entries(raw)) {
    if (typeof field === 'string') {
      out[name] = { type: field, required: true };
    } else {
      const decl: ContextDecl = { type: field.type, required: field.required ?? true };
      if (field.description !== undefined) decl.description = field.description;
      // Only when set, so runbooks without it keep their version hash.
      if (field.allow_leading_dash === true) decl.allowLeadingDash = true;
      out[name] = decl;
    }
  }
  return out;
}
