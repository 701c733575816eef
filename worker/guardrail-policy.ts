/**
 * Operator guardrail policy for the coordinator, from a YAML or JSON file named by
 * REMEDIATE_POLICY_FILE, with the seed's defaults for anything left out:
 *
 *   limits: { max_concurrent: 3, max_services: 1 }
 *   failure_budget: { max_failures: 5, window_minutes: 60 }
 *   change_windows:
 *     - { name: off-peak, time_zone: Europe/Berlin, days: [mon, tue, wed, thu, fri], start: "22:00", end: "06:00",
 *         applies_to: { risks: [MEDIUM] }, outside: wait }
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ChangeWindowError, validateChangeWindow, type ChangeWindow } from '../dsl/change-window';
import { DEFAULT_LIMITS } from '../dsl/decide';
import type { GuardrailPolicy } from '../dsl/guardrail-state';

export class PolicyFileError extends Error {
  override readonly name = 'PolicyFileError';
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
  }
}

export const DEFAULT_GUARDRAIL_POLICY: GuardrailPolicy = {
  limits: DEFAULT_LIMITS,
  failureBudget: { maxFailures: 5, windowMs: 60 * 60_000 },
  changeWindows: [],
};

function positiveInt(file: string, field: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new PolicyFileError(file, `${field}: expected a positive integer, found ${JSON.stringify(value)}`);
  return value;
}

export function parseGuardrailPolicy(file: string, text: string): GuardrailPolicy {
  let raw: Record<string, any>;
  try {
    raw = (parse(text) ?? {}) as Record<string, any>;
  } catch (error) {
    throw new PolicyFileError(file, (error as Error).message);
  }
  const windows: ChangeWindow[] = (raw.change_windows ?? []).map((w: Record<string, any>, i: number) => {
    const window: ChangeWindow = {
      name: String(w.name ?? `window-${i + 1}`),
      timeZone: String(w.time_zone ?? 'UTC'),
      days: w.days ?? ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
      start: String(w.start),
      end: String(w.end),
      appliesTo: { risks: w.applies_to?.risks, runbooks: w.applies_to?.runbooks },
      outside: w.outside === 'approval' ? 'approval' : 'wait',
    };
    try {
      validateChangeWindow(window);
    } catch (error) {
      if (error instanceof ChangeWindowError) throw new PolicyFileError(file, `change_windows[${i}]: ${error.message}`);
      throw error;
    }
    return window;
  });
  return {
    limits: {
      maxConcurrent: positiveInt(file, 'limits.max_concurrent', raw.limits?.max_concurrent, DEFAULT_LIMITS.maxConcurrent),
      maxServices: positiveInt(file, 'limits.max_services', raw.limits?.max_services, DEFAULT_LIMITS.maxServices),
    },
    failureBudget: {
      maxFailures: positiveInt(file, 'failure_budget.max_failures', raw.failure_budget?.max_failures, DEFAULT_GUARDRAIL_POLICY.failureBudget.maxFailures),
      windowMs: positiveInt(file, 'failure_budget.window_minutes', raw.failure_budget?.window_minutes, 60) * 60_000,
    },
    changeWindows: windows,
  };
}

export function loadGuardrailPolicy(env: NodeJS.ProcessEnv = process.env): GuardrailPolicy {
  const file = env.REMEDIATE_POLICY_FILE;
  if (!file) return DEFAULT_GUARDRAIL_POLICY;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PolicyFileError(file, `cannot read: ${(error as Error).message}`);
  }
  return parseGuardrailPolicy(file, text);
}
