/**
 * Who may approve: pure rules, unit-tested, used by the approval gate inside the workflow.
 * Names are compared case-insensitively after trimming, so "Alice" and "alice " are one person.
 */
import type { ApprovalPolicy } from '../dsl/types';

export function normaliseActor(name: string): string {
  return name.trim().toLowerCase();
}

/** The set of people allowed to approve: the runbook's list (or the operator default), groups expanded. */
export function authorisedApprovers(approval: ApprovalPolicy, defaults: string[], groups: Record<string, string[]>): Set<string> {
  const names = approval.approvers.length > 0 ? approval.approvers : defaults;
  const allowed = new Set<string>();
  for (const name of names) {
    // Own keys only: a group called `constructor` must not find Object.prototype's.
    const group = name.slice('group:'.length);
    if (name.startsWith('group:'))
      for (const member of Object.hasOwn(groups, group) ? (groups[group] ?? []) : []) allowed.add(normaliseActor(member));
    else allowed.add(normaliseActor(name));
  }
  return allowed;
}

export type Verdict = { counts: true } | { counts: false; why: string };

/** Whether one approval or rejection from `by` counts for this incident and plan. */
export function judgeActor(input: {
  by: string;
  allowed: Set<string>;
  submittedBy?: string;
  shownPlanHash?: string;
  currentPlanHash: string;
}): Verdict {
  const actor = normaliseActor(input.by ?? '');
  if (!actor) return { counts: false, why: 'no approver named' };
  if (!input.allowed.has(actor)) return { counts: false, why: `${input.by} is not an authorised approver for this runbook` };
  if (input.submittedBy && normaliseActor(input.submittedBy) === actor) {
    return { counts: false, why: `${input.by} submitted this incident and cannot approve it` };
  }
  if (input.shownPlanHash !== undefined && input.shownPlanHash !== input.currentPlanHash) {
    return {
      counts: false,
      why: `approval was given for plan ${input.shownPlanHash.slice(0, 12)}, the plan is now ${input.currentPlanHash.slice(0, 12)}`,
    };
  }
  return { counts: true };
}
