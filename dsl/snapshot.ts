/**
 * Guardrail snapshots from outside (`plan --state`, as `remediate guardrails --snapshot` prints
 * them): validated like any input. Missing parts mean "nothing recorded" and default to an empty
 * snapshot; the freeze, failures per service, failure budget and change windows are optional.
 */
import { ChangeWindowError, validateChangeWindow, WEEKDAYS, type ChangeWindow } from './change-window';
import { emptySnapshot } from './decide';
import { formatPath } from './describe';
import type { GuardrailView } from './guardrails';
import { safeRecord } from './safe-record';
import type { InputError } from './incident';
import { arr, bool, int, num, obj, record, str, strEnum, type Static } from './schema-builder';
import { schemaValidator } from './schema-check';

const changeWindowSchema = obj(
  {
    name: str(),
    timeZone: str(),
    days: arr(strEnum(WEEKDAYS)),
    start: str(),
    end: str(),
    appliesTo: obj({ risks: arr(strEnum(['LOW', 'MEDIUM', 'HIGH'])), runbooks: arr(str()) }),
    outside: strEnum(['wait', 'approval']),
  },
  { required: ['name', 'timeZone', 'days', 'start', 'end', 'appliesTo', 'outside'] },
);

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
  freeze: obj(
    { by: str(), reason: str(), sinceMs: num({ minimum: 0 }), untilMs: num({ minimum: 0 }) },
    { required: ['by', 'reason', 'sinceMs'] },
  ),
  serviceFailures: record(arr(num({ minimum: 0 })), { description: 'Failure times (ms) by service, for the failure budget.' }),
  failureBudget: obj(
    { maxFailures: int({ minimum: 0 }), windowMs: int({ exclusiveMinimum: 0 }) },
    { required: ['maxFailures', 'windowMs'] },
  ),
  changeWindows: arr(changeWindowSchema),
});

const validate = schemaValidator<Static<typeof snapshotSchema>>(snapshotSchema.schema);

export type SnapshotParse = { ok: true; snapshot: GuardrailView } | { ok: false; errors: InputError[] };

export function parseSnapshot(data: unknown, defaultNowMs: number): SnapshotParse {
  const validated = validate(data);
  if (!validated.ok) {
    return { ok: false, errors: validated.issues.map((issue) => ({ field: formatPath(issue.path), message: issue.message })) };
  }
  const raw = validated.value;
  const windows: ChangeWindow[] = (raw.changeWindows ?? []).map((w) => ({ ...w, days: [...w.days], appliesTo: { ...w.appliesTo } }));
  const errors = windows.flatMap((w, i) => windowErrors(w, i));
  if (errors.length > 0) return { ok: false, errors };
  const base = emptySnapshot(raw.nowMs ?? defaultNowMs, raw.limits);
  return {
    ok: true,
    snapshot: {
      ...base,
      breakers: safeRecord(raw.breakers),
      executions: safeRecord(raw.executions),
      active: raw.active ?? [],
      // Only what was given: a snapshot without them decides as it always did.
      ...(raw.freeze ? { freeze: raw.freeze } : {}),
      ...(raw.serviceFailures ? { serviceFailures: safeRecord(raw.serviceFailures) } : {}),
      ...(raw.failureBudget ? { failureBudget: raw.failureBudget } : {}),
      ...(raw.changeWindows ? { changeWindows: windows } : {}),
    },
  };
}

/** The schema checks each field; whether times and time zone make a window is validateChangeWindow's word. */
function windowErrors(window: ChangeWindow, index: number): InputError[] {
  try {
    validateChangeWindow(window);
    return [];
  } catch (error) {
    if (error instanceof ChangeWindowError) return [{ field: formatPath(['changeWindows', index]), message: error.message }];
    throw error;
  }
}
