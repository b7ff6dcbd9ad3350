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

/** A benchmarked command exited non-zero or ran past its timeout; no run file is written. */
export class CommandFailedError extends PilmsMonitorError {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly timedOut: boolean,
    readonly stderr: string,
  ) {
    super(
      timedOut
        ? `\`${command}\` ran past its timeout; raise --timeout or make the benchmark smaller`
        : `\`${command}\` exited with code ${exitCode}; fix it before gating (stderr: ${stderr.slice(-300)})`,
      'PILMS_MONITOR_COMMAND_FAILED',
    );
  }
}

/** Every error class of the package by name. */
export const errors = { PilmsMonitorError, InvalidOptionError, MissingPeerError, CommandFailedError } as const;
