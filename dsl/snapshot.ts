/**
 * Guardrail snapshots from outside (`plan --state`): validated like any input.
 * Missing parts mean "nothing recorded" and default to an empty snapshot.
 */
import { emptySnapshot } from './decide';
import { formatPath } from './describe';
import { safeRecord } from './safe-record';
import type { InputError } from './incident';
import { arr, bool, int, num, obj, record, str, strEnum, type Static } from './schema-builder';
import { schemaValidator } from './schema-check';
import type { GuardrailSnapshot } from './types';

const snapshotSchema = obj({
  nowMs: int({ minimum: 0, description: 'The time of the snapshot (ms since the epoch).' }),
  breakers: record(
    obj(
      {
        state: strEnum(['closed', 'open', 'half_open']),
        consecutiveFailures: int({ minimum: 0 }),
        openedAtMs: num({ minimum: 0 }),
        trialInFlight: bool(),
      },
      { required: ['state', 'consecutiveFailures'] },
    ),
    { description: 'Circuit breakers by runbook id.' },
  ),
  executions: record(arr(num({ minimum: 0 })), { description: 'Execution start times (ms) by "runbook:service".' }),
  active: arr(obj({ incidentId: str(), runbook: str(), services: arr(str()) }, { required: ['incidentId', 'runbook', 'services'] })),
  limits: obj({ maxConcurrent: int({ exclusiveMinimum: 0 }), maxServices: int({ exclusiveMinimum: 0 }) }),
});

const validate = schemaValidator<Static<typeof snapshotSchema>>(snapshotSchema.schema);

export type SnapshotParse = { ok: true; snapshot: GuardrailSnapshot } | { ok: false; errors: InputError[] };

export function parseSnapshot(data: unknown, defaultNowMs: number): SnapshotParse {
  const validated = validate(data);
  if (!validated.ok) {
    return { ok: false, errors: validated.issues.map((issue) => ({ field: formatPath(issue.path), message: issue.message })) };
  }
  const raw = validated.value;
  const base = emptySnapshot(raw.nowMs ?? defaultNowMs, raw.limits);
  return {
    ok: true,
    snapshot: { ...base, breakers: safeRecord(raw.breakers), executions: safeRecord(raw.executions), active: raw.active ?? [] },
  };
}
