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

/** An option passed to a factory is out of range or of the wrong type. Fix the option named in `option`. */
export class InvalidOptionError extends PilmsCacheError {
  constructor(
    readonly option: string,
    readonly expected: string,
    readonly actual: unknown,
  ) {
    super(`Expected \`${option}\` to be ${expected}, got ${describe(actual)}`, 'PILMS_CACHE_INVALID_OPTION');
  }
}

/** A key is empty or longer than `maxKeyLength`. Use a short, non-empty key (hash long ones). */
export class InvalidKeyError extends PilmsCacheError {
  constructor(
    readonly key: string,
    readonly maxKeyLength: number,
  ) {
    super(
      key.length === 0
        ? 'Cache keys must not be empty; pass a non-empty string'
        : `Cache key of ${key.length} characters exceeds maxKeyLength ${maxKeyLength}; hash long keys before caching`,
      'PILMS_CACHE_INVALID_KEY',
    );
  }
}

/** A value cannot be serialized (a function, a cycle, a BigInt without a codec). Cache plain data only. */
export class SerializationError extends PilmsCacheError {
  constructor(
    readonly key: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(
      `Cannot cache the value of "${key}": ${reason}. Cache plain JSON data, or pass a \`codec\` that handles it`,
      'PILMS_CACHE_SERIALIZATION',
      options,
    );
  }
}

/** The loader did not settle within `hardTimeoutMs` and there was no stale value to serve. */
export class LoaderTimeoutError extends PilmsCacheError {
  constructor(
    readonly key: string,
    readonly timeoutMs: number,
  ) {
    super(
      `Loader for "${key}" did not finish within hardTimeoutMs ${timeoutMs}; raise the timeout or make the loader faster`,
      'PILMS_CACHE_LOADER_TIMEOUT',
    );
  }
}

/** The cache or write-behind queue was used after `close()`. Create a new one. */
export class ClosedError extends PilmsCacheError {
  constructor(readonly what: string) {
    super(`${what} is closed; create a new one instead of using it after close()`, 'PILMS_CACHE_CLOSED');
  }
}

/** The write-behind `flush` kept failing after every retry; the batch is kept pending and retried later. */
export class FlushFailedError extends PilmsCacheError {
  constructor(
    readonly attempts: number,
    readonly size: number,
    options?: ErrorOptions,
  ) {
    super(
      `Write-behind flush of ${size} writes failed ${attempts} times; the writes stay pending. Check the flush target`,
      'PILMS_CACHE_FLUSH_FAILED',
      options,
    );
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return typeof value;
}

/** Every error class of the package, by name, for `instanceof`-free checks. */
export const errors = {
  PilmsCacheError,
  InvalidOptionError,
  InvalidKeyError,
  SerializationError,
  LoaderTimeoutError,
  ClosedError,
  FlushFailedError,
} as const;
