const brand = Symbol.for('@pilms/cache-layers/error');

/**
 * Base class of every error thrown by @pilms/cache-layers. Each subclass has a stable `code`;
 * check with `PilmsCacheError.isInstance(err)`, which also works across two installed copies.
 */
export class PilmsCacheError extends Error {
  readonly [brand] = true;
  constructor(
    message: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  static isInstance(value: unknown): value is PilmsCacheError {
    return typeof value === 'object' && value !== null && brand in value;
  }
}
