/**
 * Blast radius: how much may be under automated change at once. At most `max_concurrent`
 * remediations, on at most `max_services` services, and one incident may span at most the
 * runbook's `blast_radius_limit` services.
 */
import type { GuardrailRule } from '../types';

export const blastRadius: GuardrailRule = {
  name: 'blast_radius',
  check({ runbook, incident, view, capacity }) {
    const id = runbook.id;
    const { maxConcurrent, maxServices } = view.limits;
    const { blastRadiusLimit } = runbook.guardrails;
    if (capacity && view.active.length >= maxConcurrent) {
      return { event: 'BLAST_LIMITED', reason: `${view.active.length} remediations already active (max ${maxConcurrent} at once)` };
    }
    if (incident.services.length > blastRadiusLimit) {
      return {
        event: 'BLAST_LIMITED',
        reason: `The incident spans ${incident.services.length} services (${incident.services.join(', ')}); ${id} may affect at most ${blastRadiusLimit}`,
      };
    }
    // Every service this incident would change counts, not only its primary one: a three-service
    // incident under max_services 1 would otherwise put three services under change at once.
    const affected = new Set(view.active.flatMap((a) => a.services));
    const added = [...new Set([incident.service, ...incident.services])].filter((s) => !affected.has(s));
    if (!capacity || added.length === 0 || affected.size + added.length <= maxServices) return undefined;
    const max = `max ${maxServices} service${maxServices === 1 ? '' : 's'} at once`;
    return {
      event: 'BLAST_LIMITED',
      reason:
        affected.size > 0
          ? `${[...affected].sort().join(', ')} already under remediation (${max})`
          : `the incident would put ${added.length} services under change (${added.join(', ')}; ${max})`,
    };
  },
};
