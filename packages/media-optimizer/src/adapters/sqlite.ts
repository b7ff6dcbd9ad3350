import Database from 'better-sqlite3';
import type { JobPatch, JobRecord, JobStatus, JobStore } from '../jobs.js';

/** Options of {@link createSqliteJobStore}: a file path, or a database you opened (and will close). */
export type SqliteJobStoreOptions = { path: string } | { database: Database.Database };

/** A {@link JobStore} that also closes the database when it opened it. */
export interface SqliteJobStore extends JobStore {
  /** Closes the database if this store opened it. Idempotent. */
  close(): void;
}

interface Row {
  id: string;
  type: string;
  payload: string;
  status: JobStatus;
  attempts: number;
  progress: number;
  result: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}

const schema = `
CREATE TABLE IF NOT EXISTS media_jobs (
  id TEXT PRIMARY KEY, type TEXT NOT NULL, payload TEXT NOT NULL, status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, progress REAL NOT NULL DEFAULT 0, result TEXT, error TEXT,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS media_jobs_status ON media_jobs (status, created_at);
CREATE TABLE IF NOT EXISTS media_job_logs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT NOT NULL, line TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS media_job_logs_job ON media_job_logs (job_id, seq);
`;

const toRecord = (row: Row): JobRecord => ({
  id: row.id,
  type: row.type,
  payload: JSON.parse(row.payload) as unknown,
  status: row.status,
  attempts: row.attempts,
  progress: row.progress,
  result: row.result === null ? null : (JSON.parse(row.result) as unknown),
  error: row.error === null ? null : (JSON.parse(row.error) as JobRecord['error']),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/**
 * Persists media jobs in SQLite (better-sqlite3, an optional peer) so they survive restarts.
 * Claiming runs in an IMMEDIATE transaction, so two processes never take the same job.
 */
export function createSqliteJobStore(options: SqliteJobStoreOptions): SqliteJobStore {
  const owned = 'path' in options;
  const db = owned ? new Database(options.path) : options.database;
  if (owned) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
  }
  db.exec(schema);
  const insert = db.prepare(
    'INSERT INTO media_jobs (id, type, payload, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const getOne = db.prepare<[string], Row>('SELECT * FROM media_jobs WHERE id = ?');
  const listAll = db.prepare<[], Row>('SELECT * FROM media_jobs ORDER BY created_at, rowid');
  const listByStatus = db.prepare<[string], Row>(
    'SELECT * FROM media_jobs WHERE status = ? ORDER BY created_at, rowid',
  );
  const claim = db.prepare<[number], Row>(
    `UPDATE media_jobs SET status = 'running', attempts = attempts + 1, updated_at = ?
     WHERE id = (SELECT id FROM media_jobs WHERE status = 'queued' ORDER BY created_at, rowid LIMIT 1) RETURNING *`,
  );
  const addLog = db.prepare('INSERT INTO media_job_logs (job_id, line) VALUES (?, ?)');
  const trimLogs = db.prepare(
    'DELETE FROM media_job_logs WHERE job_id = ? AND seq <= (SELECT seq FROM media_job_logs WHERE job_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)',
  );
  const readLogs = db.prepare<[string], { line: string }>(
    'SELECT line FROM media_job_logs WHERE job_id = ? ORDER BY seq',
  );
  const countByStatus = db.prepare<[], { status: JobStatus; n: number }>(
    'SELECT status, COUNT(*) AS n FROM media_jobs GROUP BY status',
  );
  const claimNext = db.transaction((now: number) => claim.get(now));
  let closed = false;

  return {
    insert(job) {
      insert.run(job.id, job.type, JSON.stringify(job.payload ?? null), 'queued', job.createdAt, job.createdAt);
    },
    get(id) {
      const row = getOne.get(id);
      return row && toRecord(row);
    },
    list(status) {
      return (status === undefined ? listAll.all() : listByStatus.all(status)).map(toRecord);
    },
    claimNext(now) {
      const row = claimNext.immediate(now);
      return row && toRecord(row);
    },
    update(id, patch: JobPatch, now) {
      const sets: string[] = ['updated_at = @now'];
      const values: Record<string, string | number | null> = { id, now };
      const columns = {
        status: patch.status,
        progress: patch.progress,
        result: patch.result === undefined ? undefined : JSON.stringify(patch.result),
        error: patch.error === undefined ? undefined : patch.error && JSON.stringify(patch.error),
      };
      for (const [column, value] of Object.entries(columns)) {
        if (value === undefined) continue;
        sets.push(`${column} = @${column}`);
        values[column] = value;
      }
      db.prepare(`UPDATE media_jobs SET ${sets.join(', ')} WHERE id = @id`).run(values);
    },
    appendLog(id, line, keep) {
      addLog.run(id, line);
      trimLogs.run(id, id, keep);
    },
    logs(id) {
      return readLogs.all(id).map((row) => row.line);
    },
    counts() {
      const counts: Record<JobStatus, number> = { queued: 0, running: 0, done: 0, failed: 0, cancelled: 0 };
      for (const row of countByStatus.all()) counts[row.status] = row.n;
      return counts;
    },
    close() {
      if (closed || !owned) return;
      closed = true;
      db.close();
    },
  };
}
