/**
 * What the storm did to the target, judged from the target's own record of every request against
 * the guardrail rules. An incident's acting window at the target runs from its first action to its
 * last request (the verification); it is shorter than the slot it held, so two windows that overlap
 * prove two remediations acted at once: every violation counted here is real.
 */
import { HOUR_MS } from '../dsl/guardrails/defaults';
import type { TargetRequest } from './target';

export interface StormIncident {
  id: string;
  pod: string;
  service: string;
  runbook: string;
}

export interface StormRules {
  maxPerHour: Record<string, number>;
  limits: { maxConcurrent: number; maxServices: number };
  failureBudget: { maxFailures: number; windowMs: number };
}

export interface StormViolations {
  /** Runs beyond `max_per_hour` of a runbook on a service in any rolling hour. */
  rate: number;
  /** Runs that started acting while `max_concurrent` others were. */
  concurrency: number;
  /** Runs that started acting on a new service while `max_services` others were under change. */
  services: number;
  /** Failed actions on a service beyond what its failure budget allows. */
  budget: number;
  total: number;
  examples: string[];
}

export interface StormAtTarget {
  /** Incidents whose action reached the target. */
  acted: number;
  /** Mutating requests received, duplicates included. */
  actions: number;
  /** Mutating requests beyond one per incident (its runbook has one action and no retry). */
  duplicates: number;
  violations: StormViolations;
}

interface Window {
  incident: StormIncident;
  start: number;
  end: number;
  failed: boolean;
}

export function judgeStorm(requests: readonly TargetRequest[], incidents: readonly StormIncident[], rules: StormRules): StormAtTarget {
  const byPod = new Map<string, TargetRequest[]>();
  for (const request of requests) {
    const list = byPod.get(request.pod) ?? [];
    list.push(request);
    byPod.set(request.pod, list);
  }
  const windows: Window[] = [];
  let actions = 0;
  let duplicates = 0;
  for (const incident of incidents) {
    const seen = (byPod.get(incident.pod) ?? []).sort((a, b) => a.at - b.at);
    const deletes = seen.filter((r) => r.method === 'DELETE');
    actions += deletes.length;
    duplicates += Math.max(0, deletes.length - 1);
    if (deletes.length === 0) continue;
    windows.push({ incident, start: deletes[0]!.at, end: seen[seen.length - 1]!.at, failed: deletes.some((d) => d.status >= 500) });
  }
  const examples: string[] = [];
  const rate = rateViolations(windows, rules, examples);
  const { concurrency, services } = overlapViolations(windows, rules, examples);
  const budget = budgetViolations(windows, rules, examples);
  return {
    acted: windows.length,
    actions,
    duplicates,
    violations: { rate, concurrency, services, budget, total: rate + concurrency + services + budget, examples: examples.slice(0, 10) },
  };
}

function rateViolations(windows: Window[], rules: StormRules, examples: string[]): number {
  const byKey = new Map<string, number[]>();
  for (const w of windows) {
    const key = `${w.incident.runbook}:${w.incident.service}`;
    byKey.set(key, [...(byKey.get(key) ?? []), w.start]);
  }
  let total = 0;
  for (const [key, times] of byKey) {
    const max = rules.maxPerHour[key.split(':')[0]!] ?? Infinity;
    times.sort((a, b) => a - b);
    let lo = 0;
    for (let hi = 0; hi < times.length; hi++) {
      while (times[hi]! - times[lo]! >= HOUR_MS) lo++;
      if (hi - lo + 1 > max) {
        total += 1;
        examples.push(`rate: ${key} ran ${hi - lo + 1} times within an hour (max ${max})`);
      }
    }
  }
  return total;
}

function overlapViolations(windows: Window[], rules: StormRules, examples: string[]): { concurrency: number; services: number } {
  const sorted = [...windows].sort((a, b) => a.start - b.start);
  let concurrency = 0;
  let services = 0;
  for (const [i, w] of sorted.entries()) {
    // Strictly overlapping: acting at the same instant, not one right after the other.
    const active = sorted.slice(0, i).filter((o) => o.end > w.start);
    if (active.length >= rules.limits.maxConcurrent) {
      concurrency += 1;
      examples.push(`concurrency: ${w.incident.id} acted while ${active.length} others did (max ${rules.limits.maxConcurrent})`);
    }
    const others = new Set(active.map((o) => o.incident.service));
    if (!others.has(w.incident.service) && others.size >= rules.limits.maxServices) {
      services += 1;
      examples.push(
        `services: ${w.incident.id} acted on ${w.incident.service} while ${[...others].join(', ')} were under change (max ${rules.limits.maxServices})`,
      );
    }
  }
  return { concurrency, services };
}

/**
 * A service's budget stops new grants once more than `maxFailures` failures were recorded; those
 * granted before that may still be acting, at most `maxConcurrent - 1` of them. Anything beyond is a
 * violation.
 */
function budgetViolations(windows: Window[], rules: StormRules, examples: string[]): number {
  const allowed = rules.failureBudget.maxFailures + rules.limits.maxConcurrent;
  const failures = new Map<string, number[]>();
  for (const w of windows) if (w.failed) failures.set(w.incident.service, [...(failures.get(w.incident.service) ?? []), w.start]);
  let total = 0;
  for (const [service, times] of failures) {
    times.sort((a, b) => a - b);
    let lo = 0;
    for (let hi = 0; hi < times.length; hi++) {
      while (times[hi]! - times[lo]! >= rules.failureBudget.windowMs) lo++;
      if (hi - lo + 1 > allowed) {
        total += 1;
        examples.push(`budget: ${service} failed ${hi - lo + 1} times within the window (at most ${allowed} can)`);
      }
    }
  }
  return total;
}

/**
 * The self-test: the same record with violations added (more runs of an incident that acted, on its
 * service, inside its acting window, than the rate limit and the concurrency limit allow). A judge
 * that finds nothing in it is broken.
 */
export function withInjectedViolation(
  requests: readonly TargetRequest[],
  incidents: readonly StormIncident[],
  rules: StormRules,
): { requests: TargetRequest[]; incidents: StormIncident[] } {
  const acted = incidents.find((i) => requests.some((r) => r.pod === i.pod && r.method === 'DELETE'));
  if (!acted) return { requests: [...requests], incidents: [...incidents] };
  const at = requests.find((r) => r.pod === acted.pod && r.method === 'DELETE')!.at;
  const count = Math.max(rules.limits.maxConcurrent, rules.maxPerHour[acted.runbook] ?? 0) + 1;
  const ghosts = Array.from({ length: count }, (_, k): StormIncident => ({
    ...acted,
    id: `${acted.id}-injected-${k}`,
    pod: `${acted.pod}-injected-${k}`,
  }));
  const forged = ghosts.flatMap((ghost, k): TargetRequest[] => [
    { at: at + k, method: 'DELETE', pod: ghost.pod, status: 200 },
    { at: at + 60_000, method: 'GET', pod: ghost.pod, status: 200 },
  ]);
  return { requests: [...requests, ...forged], incidents: [...incidents, ...ghosts] };
}
