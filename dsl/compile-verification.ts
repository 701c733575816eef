/**
 * "Always verify, never assume the fix worked": a runbook that runs without a human must verify
 * against the live system. Its context holds numbers frozen when the alert fired, so a verification
 * that reads only the context passes or fails whatever the fix did (and a failed one would roll a
 * good fix back). At least one post-check must read something live, through a probe of any kind.
 */
import type { Report } from './compile-steps';
import type { RawRunbook } from './runbook-schema';
import type { AutomationMode, CheckStep, RiskLevel } from './types';
import type { PathSegment } from './yaml-source';

/** Reports an automatic runbook whose post_checks all read only the incident's context (none at all is requireSafetyNet's error). */
export function requireLiveVerification(
  raw: RawRunbook,
  path: readonly PathSegment[],
  automation: { risk: RiskLevel; mode: AutomationMode },
  postChecks: readonly CheckStep[],
  report: Report,
): void {
  const entries = raw.post_checks ?? [];
  // A post-check with errors is reported where it is; whether it would read something live is not known.
  if (automation.mode !== 'auto' || entries.length === 0 || postChecks.length < entries.length) return;
  if (postChecks.some((check) => check.probe !== undefined)) return;
  const names = postChecks.map((check) => `"${check.check}"`).join(', ');
  report(
    [...path, 'post_checks'],
    `verification reads nothing live: ${names} ${entries.length === 1 ? 'reads' : 'read'} only the incident's context, ` +
      `numbers from when the alert fired, so ${entries.length === 1 ? 'it cannot' : 'they cannot'} tell whether the fix worked. ` +
      `This runbook runs without a human (${automation.risk} risk, auto mode): add a post-check that reads the live system ` +
      `through a probe (kubernetes, prometheus, http or exec), such as the standard all_pods_ready or error_rate_normalized, ` +
      `or have a human approve each run (mode: approval)`,
    { key: true },
  );
}
