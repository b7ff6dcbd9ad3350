import { InvalidOptionError } from './errors.js';

/** Throws unless `value` is a finite number >= `min` (and an integer when asked). */
export function assertNumber(option: string, value: unknown, min: number, integer = false): asserts value is number {
  const ok =
    typeof value === 'number' && Number.isFinite(value) && value >= min && (!integer || Number.isInteger(value));
  if (!ok) throw new InvalidOptionError(option, `a finite ${integer ? 'integer' : 'number'} >= ${min}`, value);
}

/** Throws unless `value` is one of `choices`. */
export function assertOneOf<T extends string>(
  option: string,
  value: unknown,
  choices: readonly T[],
): asserts value is T {
  if (!choices.includes(value as T)) throw new InvalidOptionError(option, `one of ${choices.join(', ')}`, value);
}
