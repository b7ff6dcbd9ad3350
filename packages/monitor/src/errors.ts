const brand = Symbol.for('@pilms/monitor/error');

/**
 * Base class of every error thrown by @pilms/monitor. Each subclass has a stable `code`;
 * check with `PilmsMonitorError.isInstance(err)`, which also works across two installed copies.
 */
export class PilmsMonitorError extends Error {
  readonly [brand] = true;
  constructor(
    message: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  static isInstance(value: unknown): value is PilmsMonitorError {
    return typeof value === 'object' && value !== null && brand in value;
  }
}
