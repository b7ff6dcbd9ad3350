import { join } from 'node:path';
import { createWriteBatcher, openDatabase, type TunedDatabase } from '@pilms/sqlite-tuner';
import { createReaderPool } from '@pilms/sqlite-tuner/reader-pool';
import type Database from 'better-sqlite3';
import type { Db } from './db.js';

/** One write statement and its positional parameters. */
export interface Write {
  sql: string;
  params: unknown[];
}

/** Where progress writes and report queries go. */
export interface Storage {
  /** Commits the writes (one group commit, or one transaction with `PILMS_PERF=off`); resolves once they are durable. */
  write(...writes: Write[]): Promise<void>;
  /** Runs a read-only report query, off the event loop when the reader pool is on. */
  report<T>(sql: string, params: unknown[]): Promise<T[]>;
  /**
   * The tuned connection's stats (statement totals, busy, transactions, batcher, readers), or
   * `{ storage: 'direct' }`. Per-statement latencies are left out: keyed by SQL text, they would become
   * hundreds of Prometheus gauges and history series.
   */
  stats(): object;
  /** Commits queued writes and stops the readers. */
  close(): Promise<void>;
}

/** Path of the app's SQLite file inside the data dir. */
export function dbPath(dataDir: string): string {
  return join(dataDir, 'lms.sqlite');
}

/** Tuned connection shared by the worker's batcher and the primary's maintenance, with the app's busy policy. */
export function openTuned(dataDir: string): TunedDatabase {
  // A second connection on the file the raw handle of db.ts holds; both only lock inside one synchronous turn.
  return openDatabase(dbPath(dataDir), { profile: 'pi5', busyDeadlineMs: 10_000 });
}

/**
 * The storage of one worker. With `tuned`, writes go through `@pilms/sqlite-tuner`'s group commit (every write
 * queued in the same event-loop turn shares one transaction, and each caller is answered after its COMMIT) and
 * reports run on `readers` worker threads; `PILMS_PERF=off` runs both directly on `db`.
 */
export function createStorage(options: { db: Db; dataDir: string; tuned: boolean; readers: number }): Storage {
  return options.tuned ? tunedStorage(options.dataDir, options.readers) : directStorage(options.db);
}

function tunedStorage(dataDir: string, readers: number): Storage {
  const db = openTuned(dataDir);
  const batcher = createWriteBatcher(db);
  const pool = createReaderPool(dbPath(dataDir), { size: readers });
  db.attach('readers', pool);
  return {
    async write(...writes) {
      await Promise.all(writes.map((w) => batcher.run(w.sql, w.params)));
    },
    report: (sql, params) => pool.all(sql, params),
    stats() {
      const { statements, ...rest } = db.stats();
      return { statements: { total: statements.total, perSecond: statements.perSecond }, ...rest };
    },
    close: () => db.close(),
  };
}

function directStorage(db: Db): Storage {
  const statements = new Map<string, Database.Statement>();
  function prepared(sql: string): Database.Statement {
    const statement = statements.get(sql) ?? db.prepare(sql);
    statements.set(sql, statement);
    return statement;
  }
  const writeAll = db.transaction((writes: Write[]) => {
    for (const w of writes) prepared(w.sql).run(...w.params);
  });
  return {
    async write(...writes) {
      writeAll(writes);
    },
    async report<T>(sql: string, params: unknown[]) {
      return prepared(sql).all(...params) as T[];
    },
    stats: () => ({ storage: 'direct' }),
    async close() {},
  };
}
