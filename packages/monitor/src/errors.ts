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

/** An option passed to a factory is invalid; the message names the option and the expected value. */
export class InvalidOptionError extends PilmsMonitorError {
  constructor(
    readonly option: string,
    readonly expected: string,
    readonly actual: unknown,
  ) {
    super(`Expected \`${option}\` to be ${expected}, got ${String(actual)}`, 'PILMS_MONITOR_INVALID_OPTION');
  }
}

/** An optional peer dependency an adapter needs is not installed. */
export class MissingPeerError extends PilmsMonitorError {
  constructor(
    readonly peer: string,
    cause: unknown,
  ) {
    super(
      `Install the optional peer \`${peer}\` (npm install ${peer}) to use this adapter`,
      'PILMS_MONITOR_MISSING_PEER',
      {
        cause,
      },
    );
  }
}

/** Every error class of the package by name. */
export const errors = { PilmsMonitorError, InvalidOptionError, MissingPeerError } as const;
