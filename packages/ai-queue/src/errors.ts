const brand = Symbol.for('@pilms/ai-queue/error');

/**
 * Base class of every error thrown by @pilms/ai-queue. Each subclass has a stable `code`;
 * check with `PilmsAiQueueError.isInstance(err)`, which also works across two installed copies.
 */
export class PilmsAiQueueError extends Error {
  readonly [brand] = true;
  constructor(
    message: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  static isInstance(value: unknown): value is PilmsAiQueueError {
    return typeof value === 'object' && value !== null && brand in value;
  }
}
