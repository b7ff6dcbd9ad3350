const brand = Symbol.for('@pilms/sqlite-tuner/error');

/**
 * Base class of every error thrown by @pilms/sqlite-tuner. Each subclass has a stable `code`;
 * check with `PilmsSqliteError.isInstance(err)`, which also works across two installed copies.
 */
export class PilmsSqliteError extends Error {
  readonly [brand] = true;
  constructor(
    message: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  static isInstance(value: unknown): value is PilmsSqliteError {
    return typeof value === 'object' && value !== null && brand in value;
  }
}
