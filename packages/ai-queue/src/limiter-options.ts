import { PilmsAiQueueError } from './errors.js';

/** A limiter option is invalid, or its optional dependency is missing. */
export class InvalidLimiterOptionError extends PilmsAiQueueError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'ERR_AI_QUEUE_LIMITER_OPTION', options);
  }
}

/** Checks the numeric options shared by the Redis and cluster limiters. */
export function validateLimiterOptions(values: Record<string, number>): void {
  for (const [name, value] of Object.entries(values)) {
    const integer = name === 'slots';
    if (!Number.isFinite(value) || value < 1 || (integer && !Number.isInteger(value))) {
      throw new InvalidLimiterOptionError(
        `Expected \`${name}\` to be a finite ${integer ? 'integer' : 'number'} >= 1, got ${value}`,
      );
    }
  }
}
