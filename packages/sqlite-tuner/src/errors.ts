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

/** An option failed validation at construction time. */
export class InvalidOptionError extends PilmsSqliteError {
  constructor(
    readonly option: string,
    expected: string,
    readonly actual: unknown,
  ) {
    super(`Expected \`${option}\` to be ${expected}, got ${String(actual)}`, 'PILMS_SQLITE_INVALID_OPTION');
  }
}

/** Why a database file could not be opened. */
export type OpenFailureReason = 'missing-directory' | 'read-only' | 'not-a-database' | 'corrupt' | 'other';

const openAdvice: Record<OpenFailureReason, string> = {
  'missing-directory': 'create the directory first or fix the path',
  'read-only': 'make the file writable or pass `readonly: true`',
  'not-a-database': 'point at a SQLite database file (or a new path)',
  corrupt: 'restore it from a backup with `restoreBackup()`',
  other: 'see the cause for details',
};

/** The database file could not be opened or tuned (bad path, read-only, not SQLite, corrupt). */
export class DatabaseOpenError extends PilmsSqliteError {
  constructor(
    readonly path: string,
    readonly reason: OpenFailureReason,
    options?: ErrorOptions,
  ) {
    super(
      `Cannot open SQLite database ${path} (${reason}): ${openAdvice[reason]}`,
      'PILMS_SQLITE_OPEN_FAILED',
      options,
    );
  }
}

/** A pragma is unknown to SQLite or SQLite did not accept the requested value. */
export class PragmaRejectedError extends PilmsSqliteError {
  constructor(
    readonly pragma: string,
    readonly requested: string | number,
    readonly actual: string | number | undefined,
  ) {
    super(
      actual === undefined
        ? `SQLite does not know the pragma \`${pragma}\`: remove it or check its spelling`
        : `SQLite rejected \`PRAGMA ${pragma}=${requested}\` (it reads back ${actual}): use a value in its documented range`,
      'PILMS_SQLITE_PRAGMA_REJECTED',
    );
  }
}

/** SQLite stayed busy/locked past the retry deadline. */
export class DatabaseBusyError extends PilmsSqliteError {
  constructor(
    readonly sql: string,
    readonly waitedMs: number,
    readonly attempts: number,
    options?: ErrorOptions,
  ) {
    super(
      `Database stayed locked for ${waitedMs} ms (${attempts} attempts) running: ${sql.slice(0, 200)}. Another connection holds the write lock; raise \`busyDeadlineMs\` or shorten the other writer's transactions`,
      'PILMS_SQLITE_BUSY',
      options,
    );
  }
}

/** The database or batcher was used after `close()`. */
export class DatabaseClosedError extends PilmsSqliteError {
  constructor(what: string) {
    super(`${what} is closed: open a new one`, 'PILMS_SQLITE_CLOSED');
  }
}

/** A backup or restore failed verification or could not be written. */
export class BackupError extends PilmsSqliteError {
  constructor(
    readonly path: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`Backup ${path} failed: ${detail}`, 'PILMS_SQLITE_BACKUP_FAILED', options);
  }
}

/** Every error class of the package by name, for `instanceof`-free checks. */
export const errors = {
  PilmsSqliteError,
  InvalidOptionError,
  DatabaseOpenError,
  PragmaRejectedError,
  DatabaseBusyError,
  DatabaseClosedError,
  BackupError,
} as const;
