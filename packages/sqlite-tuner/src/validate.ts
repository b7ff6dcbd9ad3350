import { InvalidOptionError } from './errors.js';

/** Throws unless `value` is a finite number >= `min` (and an integer when asked). */
export function assertNumber(option: string, value: unknown, min: number, integer = false): asserts value is number {
  const ok =
    typeof value === 'number' && Number.isFinite(value) && value >= min && (!integer || Number.isInteger(value));
  if (!ok) throw new InvalidOptionError(option, `a finite ${integer ? 'integer' : 'number'} >= ${min}`, value);
}
