const brand = Symbol.for('@pilms/media-optimizer/error');

/**
 * Base class of every error thrown by @pilms/media-optimizer. Each subclass has a stable `code`;
 * check with `PilmsMediaError.isInstance(err)`, which also works across two installed copies.
 */
export class PilmsMediaError extends Error {
  readonly [brand] = true;
  constructor(
    message: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  static isInstance(value: unknown): value is PilmsMediaError {
    return typeof value === 'object' && value !== null && brand in value;
  }
}
