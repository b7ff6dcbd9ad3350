import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import Database from 'better-sqlite3';
import { bind, type Params } from './bind.js';
import { type BusyCounters, type BusyPolicy, retryBusy } from './busy.js';
import { defaults } from './defaults.js';
import { DatabaseClosedError, DatabaseOpenError, type OpenFailureReason } from './errors.js';
import { StatementMetrics, type StatementStats } from './metrics.js';
import { StatementCache, type StatementCacheStats } from './statement-cache.js';
import { type TuneOptions, type TuneReport, tune } from './tune.js';
import { assertNumber } from './validate.js';

/** Called after every statement run through the wrapper (e.g. a slow-query log's `observe`). */
export type StatementListener = (sql: string, durationMs: number, params: Params | undefined) => void;

/** Options of `openDatabase()`. */
export interface OpenOptions extends TuneOptions {
  /** Open read-only (only connection-level pragmas are applied). Default `false`. */
  readonly?: boolean;
  /** Run `PRAGMA quick_check` on open and refuse a corrupt file. Default `false`. */
  quickCheck?: boolean;
  /** Async busy retries stop after this long (ms), then `DatabaseBusyError`. Default `5000`. */
  busyDeadlineMs?: number;
  /** First busy backoff (ms), doubled per retry with jitter. Default `2`. */
  busyInitialDelayMs?: number;
  /** Largest busy backoff (ms). Default `100`. */
  busyMaxDelayMs?: number;
  /** Statements kept in the LRU statement cache. Default `200`. */
  statementCacheSize?: number;
  /** Latency samples kept per statement. Default `512`. */
  latencySamples?: number;
  /** Distinct statements tracked for latency. Default `100`. */
  trackedStatements?: number;
}

/** Something closed together with the database (batchers, schedulers). */
export interface Closeable {
  close(): Promise<void>;
}

/** The plain-data snapshot of `TunedDatabase.stats()`. */
export interface DatabaseStats {
  statements: { total: number; perSecond: number; bySql: Record<string, StatementStats> };
  busy: BusyCounters;
  transactions: { committed: number; rolledBack: number };
  statementCache: StatementCacheStats;
  wal: { bytes: number };
  /** Stats of attached helpers (batchers, maintenance) by name. */
  extensions: Record<string, object>;
}

/** A better-sqlite3 connection with tuned pragmas, async busy handling, a statement cache and metrics. */
export interface TunedDatabase {
  /** The underlying better-sqlite3 handle, for anything not wrapped here. */
  readonly raw: BetterSqlite3.Database;
  /** Absolute file path (or `:memory:`). */
  readonly path: string;
  /** What `tune()` set and what SQLite accepted. */
  readonly report: TuneReport;
  /** A prepared statement from the LRU cache, never one that is still iterating. */
  prepareCached(sql: string): BetterSqlite3.Statement;
  /** Runs a write, retrying SQLITE_BUSY asynchronously until `busyDeadlineMs`. */
  run(sql: string, params?: Params): Promise<BetterSqlite3.RunResult>;
  /** Runs a write synchronously (inside `transaction()`), recorded in the metrics. */
  runSync(sql: string, params?: Params): BetterSqlite3.RunResult;
  /** Reads all rows synchronously (WAL readers do not wait for writers). */
  all<T = unknown>(sql: string, params?: Params): T[];
  /** Reads the first row synchronously, or `undefined`. */
  get<T = unknown>(sql: string, params?: Params): T | undefined;
  /**
   * Runs `fn` synchronously inside `BEGIN IMMEDIATE ... COMMIT`, waiting asynchronously for the write
   * lock. `fn` must not await: the transaction commits when it returns and rolls back when it throws.
   */
  transaction<T>(fn: () => T): Promise<T>;
  /** Calls `listener` after every statement with its duration, e.g. `(sql, ms, params) => slowLog.observe(sql, ms, params)`. */
  onStatement(listener: StatementListener): void;
  /** Registers a helper closed (and flushed) before the connection, and shown in `stats().extensions`. */
  attach(name: string, helper: Closeable & { stats(): object }): void;
  /** Plain-data metrics snapshot. */
  stats(): DatabaseStats;
  /** Closes attached helpers, runs `PRAGMA optimize`, closes the connection. Idempotent. */
  close(): Promise<void>;
}

function openFailure(path: string, error: unknown): DatabaseOpenError {
  const code = (error as { code?: unknown }).code;
  const reason: OpenFailureReason =
    code === 'SQLITE_NOTADB'
      ? 'not-a-database'
      : typeof code === 'string' && code.startsWith('SQLITE_CORRUPT')
        ? 'corrupt'
        : typeof code === 'string' && code.startsWith('SQLITE_READONLY')
          ? 'read-only'
          : 'other';
  return new DatabaseOpenError(path, reason, { cause: error });
}

function checkPath(path: string, readonly: boolean): void {
  if (path === ':memory:') return;
  if (!existsSync(dirname(path))) throw new DatabaseOpenError(path, 'missing-directory');
  if (readonly || !existsSync(path)) return;
  // Checked from the mode bits too, because root passes access() checks on read-only files.
  const writable = (statSync(path).mode & 0o222) !== 0;
  try {
    accessSync(path, constants.W_OK);
  } catch (error) {
    throw new DatabaseOpenError(path, 'read-only', { cause: error });
  }
  if (!writable) throw new DatabaseOpenError(path, 'read-only');
}

function busyPolicy(options: OpenOptions): BusyPolicy {
  const policy = {
    deadlineMs: options.busyDeadlineMs ?? defaults.busyDeadlineMs,
    initialDelayMs: options.busyInitialDelayMs ?? defaults.busyInitialDelayMs,
    maxDelayMs: options.busyMaxDelayMs ?? defaults.busyMaxDelayMs,
  };
  assertNumber('busyDeadlineMs', policy.deadlineMs, 0);
  assertNumber('busyInitialDelayMs', policy.initialDelayMs, 0);
  assertNumber('busyMaxDelayMs', policy.maxDelayMs, 0);
  return policy;
}

/**
 * Opens (or creates) a SQLite file with better-sqlite3, applies a pragma profile (default `pi5`) and
 * returns a `TunedDatabase`. Throws `DatabaseOpenError` naming the reason (missing directory,
 * read-only, not a database, corrupt) and `PragmaRejectedError` for pragmas SQLite refuses.
 */
export function openDatabase(path: string, options: OpenOptions = {}): TunedDatabase {
  const fullPath = path === ':memory:' ? path : resolve(path);
  const readonly = options.readonly ?? false;
  const policy = busyPolicy(options);
  const cacheSize = options.statementCacheSize ?? defaults.statementCacheSize;
  assertNumber('statementCacheSize', cacheSize, 0, true);
  const samples = options.latencySamples ?? defaults.latencySamples;
  assertNumber('latencySamples', samples, 1, true);
  const tracked = options.trackedStatements ?? defaults.trackedStatements;
  assertNumber('trackedStatements', tracked, 0, true);
  checkPath(fullPath, readonly);
  let raw: BetterSqlite3.Database;
  try {
    raw = new Database(fullPath, { readonly, fileMustExist: readonly });
  } catch (error) {
    throw openFailure(fullPath, error);
  }
  try {
    const report = tune(raw, options);
    if (options.quickCheck && raw.pragma('quick_check', { simple: true }) !== 'ok') {
      throw new DatabaseOpenError(fullPath, 'corrupt');
    }
    return new Connection(
      raw,
      fullPath,
      report,
      policy,
      new StatementCache(raw, cacheSize),
      new StatementMetrics(samples, tracked),
    );
  } catch (error) {
    raw.close();
    if (error instanceof DatabaseOpenError || !(error as { code?: unknown }).code?.toString().startsWith('SQLITE')) {
      throw error;
    }
    throw openFailure(fullPath, error);
  }
}

class Connection implements TunedDatabase {
  private readonly busy: BusyCounters = { retries: 0, timeouts: 0 };
  private readonly transactions = { committed: 0, rolledBack: 0 };
  private readonly helpers = new Map<string, Closeable & { stats(): object }>();
  private readonly listeners: StatementListener[] = [];
  private closing: Promise<void> | undefined;

  constructor(
    readonly raw: BetterSqlite3.Database,
    readonly path: string,
    readonly report: TuneReport,
    private readonly policy: BusyPolicy,
    private readonly cache: StatementCache,
    private readonly metrics: StatementMetrics,
  ) {}

  prepareCached(sql: string): BetterSqlite3.Statement {
    this.assertOpen();
    return this.cache.get(sql);
  }

  run(sql: string, params?: Params): Promise<BetterSqlite3.RunResult> {
    return retryBusy(sql, this.policy, this.busy, () => this.runSync(sql, params));
  }

  runSync(sql: string, params?: Params): BetterSqlite3.RunResult {
    const statement = this.prepareCached(sql);
    return this.timed(sql, params, () => bind(statement, 'run', params));
  }

  all<T = unknown>(sql: string, params?: Params): T[] {
    const statement = this.prepareCached(sql);
    return this.timed(sql, params, () => bind(statement, 'all', params));
  }

  get<T = unknown>(sql: string, params?: Params): T | undefined {
    const statement = this.prepareCached(sql);
    return this.timed(sql, params, () => bind(statement, 'get', params));
  }

  private timed<T>(sql: string, params: Params | undefined, fn: () => T): T {
    const start = performance.now();
    try {
      return fn();
    } finally {
      const ms = performance.now() - start;
      this.metrics.record(sql, ms);
      for (const listener of this.listeners) listener(sql, ms, params);
    }
  }

  onStatement(listener: StatementListener): void {
    this.listeners.push(listener);
  }

  async transaction<T>(fn: () => T): Promise<T> {
    await retryBusy('BEGIN IMMEDIATE', this.policy, this.busy, () => this.runSync('BEGIN IMMEDIATE'));
    try {
      const result = fn();
      // Timed like any statement: COMMIT is where WAL writes and auto-checkpoints cost time.
      this.runSync('COMMIT');
      this.transactions.committed++;
      return result;
    } catch (error) {
      if (this.raw.inTransaction) this.prepareCached('ROLLBACK').run();
      this.transactions.rolledBack++;
      throw error;
    }
  }

  attach(name: string, helper: Closeable & { stats(): object }): void {
    this.assertOpen();
    this.helpers.set(name, helper);
  }

  stats(): DatabaseStats {
    const extensions: Record<string, object> = {};
    for (const [name, helper] of this.helpers) extensions[name] = helper.stats();
    return {
      statements: this.metrics.snapshot(),
      busy: { ...this.busy },
      transactions: { ...this.transactions },
      statementCache: this.cache.stats(),
      wal: { bytes: this.walBytes() },
      extensions,
    };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await Promise.all([...this.helpers.values()].map((helper) => helper.close()));
    if (!this.raw.readonly) this.raw.pragma('optimize');
    this.raw.close();
  }

  private walBytes(): number {
    if (this.path === ':memory:') return 0;
    try {
      return statSync(`${this.path}-wal`).size;
    } catch {
      return 0;
    }
  }

  private assertOpen(): void {
    if (!this.raw.open) throw new DatabaseClosedError(`Database ${this.path}`);
  }
}
