import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { TunedDatabase } from './database.js';
import { defaults } from './defaults.js';
import { BackupError, InvalidOptionError } from './errors.js';
import { assertNumber } from './validate.js';

/** Options of `createBackups()`. */
export interface BackupOptions {
  /** Directory the backups go to (created if missing). Required. */
  dir: string;
  /** File name prefix. Default: the database file name without extension. */
  name?: string;
  /** Backups kept; older ones are deleted after a successful backup. Default `7`. */
  keep?: number;
  /** Backups older than this are deleted too. Default `Infinity` (age does not matter). */
  maxAgeDays?: number;
  /**
   * `vacuum-into` writes a compact consistent snapshot in one synchronous call; `backup-api` copies pages
   * asynchronously (keeps the event loop free, but restarts while other connections write). Default `'vacuum-into'`.
   */
  method?: 'vacuum-into' | 'backup-api';
}

/** One finished backup. */
export interface BackupResult {
  path: string;
  bytes: number;
  durationMs: number;
  /** Older backups deleted by retention. */
  pruned: string[];
}

/** Plain-data snapshot of `Backups.stats()`. */
export interface BackupStats {
  count: number;
  failures: number;
  /** Milliseconds since the last successful backup, or -1 when none ran. */
  ageMs: number;
  lastBytes: number;
  lastDurationMs: number;
}

/** Online backups of one database with verification and retention. */
export interface Backups {
  /** Writes a backup to a temporary name, verifies it with quick_check, renames it, applies retention. */
  run(): Promise<BackupResult>;
  /** Existing backup files, oldest first. */
  list(): string[];
  stats(): BackupStats;
  close(): Promise<void>;
}

/** Throws `BackupError` unless `path` is a SQLite file that passes `PRAGMA quick_check`. */
export function verifyDatabaseFile(path: string): void {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const result = db.pragma('quick_check', { simple: true });
    if (result !== 'ok') throw new BackupError(path, `quick_check reported: ${String(result)}`);
  } catch (error) {
    if (error instanceof BackupError) throw error;
    throw new BackupError(path, `not a readable SQLite database (${(error as Error).message})`, { cause: error });
  } finally {
    db?.close();
  }
}

/**
 * Replaces the database file at `target` with a verified copy of `backupPath`. Refuses (with
 * `BackupError`, leaving `target` untouched) a backup that fails quick_check. Close every connection
 * to `target` first.
 */
export function restoreBackup(backupPath: string, target: string): void {
  verifyDatabaseFile(backupPath);
  const temporary = `${target}.restore-${process.pid}`;
  copyFileSync(backupPath, temporary);
  // A stale WAL from the old file would be replayed on top of the restored one.
  rmSync(`${target}-wal`, { force: true });
  rmSync(`${target}-shm`, { force: true });
  renameSync(temporary, target);
}

/** Creates the backup helper of `db` and attaches it (its age shows in `db.stats().extensions.backups`). */
export function createBackups(db: TunedDatabase, options: BackupOptions): Backups {
  const backups = new BackupSet(db, options);
  db.attach('backups', backups);
  return backups;
}

class BackupSet implements Backups {
  private readonly name: string;
  private readonly keep: number;
  private readonly maxAgeMs: number;
  private readonly method: NonNullable<BackupOptions['method']>;
  private lastAt = -1;
  private sequence = 0;
  private readonly counts = { count: 0, failures: 0, lastBytes: 0, lastDurationMs: 0 };

  constructor(
    private readonly db: TunedDatabase,
    private readonly options: BackupOptions,
  ) {
    if (typeof options.dir !== 'string' || options.dir === '') {
      throw new InvalidOptionError('dir', 'a directory path', options.dir);
    }
    this.name = options.name ?? basename(db.path, extname(db.path));
    this.keep = options.keep ?? defaults.backupKeep;
    assertNumber('keep', this.keep, 1, true);
    const days = options.maxAgeDays ?? Number.POSITIVE_INFINITY;
    if (!(days > 0)) throw new InvalidOptionError('maxAgeDays', 'a number > 0', days);
    this.maxAgeMs = days * 86_400_000;
    this.method = options.method ?? 'vacuum-into';
    mkdirSync(options.dir, { recursive: true });
  }

  async run(): Promise<BackupResult> {
    const started = performance.now();
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const path = join(this.options.dir, `${this.name}-${stamp}-${String(this.sequence++).padStart(4, '0')}.db`);
    const temporary = `${path}.partial`;
    try {
      if (this.method === 'vacuum-into') this.db.raw.prepare('VACUUM INTO ?').run(temporary);
      else await this.db.raw.backup(temporary);
      verifyDatabaseFile(temporary);
      renameSync(temporary, path);
    } catch (error) {
      rmSync(temporary, { force: true });
      this.counts.failures++;
      throw error instanceof BackupError ? error : new BackupError(path, (error as Error).message, { cause: error });
    }
    const bytes = statSync(path).size;
    const durationMs = performance.now() - started;
    this.lastAt = Date.now();
    Object.assign(this.counts, { count: this.counts.count + 1, lastBytes: bytes, lastDurationMs: durationMs });
    return { path, bytes, durationMs, pruned: this.prune() };
  }

  list(): string[] {
    const prefix = `${this.name}-`;
    return readdirSync(this.options.dir)
      .filter((file) => file.startsWith(prefix) && file.endsWith('.db'))
      .sort()
      .map((file) => join(this.options.dir, file));
  }

  private prune(): string[] {
    const files = this.list();
    const now = Date.now();
    const pruned = files.filter(
      (file, index) => index < files.length - this.keep || now - statSync(file).mtimeMs > this.maxAgeMs,
    );
    for (const file of pruned) rmSync(file, { force: true });
    return pruned;
  }

  stats(): BackupStats {
    return { ...this.counts, ageMs: this.lastAt < 0 ? -1 : Date.now() - this.lastAt };
  }

  async close(): Promise<void> {}
}
