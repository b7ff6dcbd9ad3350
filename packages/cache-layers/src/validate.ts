import { InvalidKeyError, InvalidOptionError } from './errors.js';

/** Throws unless `value` is undefined or a finite number >= `min`. */
export function checkNumber(option: string, value: unknown, min = 0): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new InvalidOptionError(option, `a finite number >= ${min}`, value);
  }
}

/** Throws unless `value` is undefined or a function. */
export function checkFunction(option: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') throw new InvalidOptionError(option, 'a function', value);
}

/** Throws an {@link InvalidKeyError} for empty keys or keys longer than `maxKeyLength`. */
export function checkKey(key: string, maxKeyLength: number): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > maxKeyLength) {
    throw new InvalidKeyError(String(key), maxKeyLength);
  }
}
