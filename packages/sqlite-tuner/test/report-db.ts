// Builds a database big enough that a GROUP BY over a self-join takes a noticeable time on the main thread.
import Database from 'better-sqlite3';

/** Creates `events` with `rows` rows at `path` in WAL mode. */
export function buildReportDb(path: string, rows: number): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE events (id INTEGER PRIMARY KEY, student INTEGER, kind INTEGER, score REAL)');
  const insert = db.prepare('INSERT INTO events (student, kind, score) VALUES (?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(i % 50, i % 7, (i * 37) % 101);
  })();
  db.close();
}

/** A report query whose cost grows with the square of the table (no index on purpose). */
export const reportSql =
  'SELECT a.student, count(*) AS n, avg(b.score) AS avg FROM events a JOIN events b ON a.kind = b.kind AND b.id < a.id + 50 AND b.id > a.id GROUP BY a.student ORDER BY a.student';
