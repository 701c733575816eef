/** Option value parsers: a bad value is a usage error (exit 2) that names what was expected. */
import { InvalidArgumentError } from 'commander';
import { durationMs } from '../dsl/duration';

export function positiveInt(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value)) throw new InvalidArgumentError(`expected a positive integer, found "${value}"`);
  return Number(value);
}

/** A fraction between 0 and 1, e.g. 0.9. */
export function ratio(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0 || number > 1)
    throw new InvalidArgumentError(`expected a number between 0 and 1, found "${value}"`);
  return number;
}

/** A duration like the runbooks', plus days: 30m, 12h, 7d. Returns milliseconds. */
export function duration(value: string): number {
  const days = /^([0-9]+)d$/.exec(value);
  if (days) return Number(days[1]) * 86_400_000;
  if (!/^[0-9]+(ms|s|m|h)$/.test(value)) throw new InvalidArgumentError(`expected a duration like 30m, 12h or 7d, found "${value}"`);
  return durationMs(value);
}
