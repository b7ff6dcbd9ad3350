import { existsSync, renameSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { InvalidOptionError } from '../errors.js';
import { loadPeer } from '../load-peer.js';

type DatabaseConstructor = typeof BetterSqlite3;

/** Options of {@link openHistory}. */
export interface HistoryOptions {
  /** SQLite file; created if missing. */
  path: string;
  /** How long 1-second samples are kept, in ms. Default `3600000` (1 h). */
  secondRetentionMs?: number;
  /** How long 1-minute averages are kept, in ms. Default `2592000000` (30 days). */
  minuteRetentionMs?: number;
  /**
   * Distinct series stored; values of further series are dropped with one warning, so the file is bounded by
   * `maxSeries * (secondRetentionMs / 1000 + minuteRetentionMs / 60000)` rows. Default `500`.
   */
  maxSeries?: number;
  /** Receives the corrupt-file and too-many-series warnings. Default `process.emitWarning`. */
  onWarning?: (message: string) => void;
}

/** One stored point. */
export interface HistoryPoint {
  /** Unix time in ms (start of the second or minute). */
  t: number;
  value: number;
}

/** Embedded time-series history with two resolutions and bounded size. */
export interface History {
  /** Stores one value per metric at `at` (default now); rolls finished minutes into averages and prunes old rows. */
  record(values: Record<string, number>, at?: number): void;
  /** Points of one metric between `from` and `to` at `'1s'` or `'1m'` resolution, oldest first. */
  query(metric: string, options: { from: number; to: number; resolution: '1s' | '1m' }): HistoryPoint[];
  /** Row counts per resolution and distinct series stored. */
  stats(): { secondRows: number; minuteRows: number; series: number };
  close(): Promise<void>;
}

const schema = `
  CREATE TABLE IF NOT EXISTS second (metric TEXT NOT NULL, t INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY (metric, t)) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS minute (metric TEXT NOT NULL, t INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY (metric, t)) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS second_t ON second (t);
  CREATE INDEX IF NOT EXISTS minute_t ON minute (t);
`;

function openChecked(Database: DatabaseConstructor, path: string, warn: (message: string) => void) {
  try {
    const db = new Database(path);
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(String(check));
    db.exec(schema);
    return db;
  } catch (error) {
    // History is disposable, an unreadable file must not stop the monitor: keep it aside for inspection.
    const aside = `${path}.corrupt-${Date.now()}`;
    if (existsSync(path)) renameSync(path, aside);
    warn(`@pilms/monitor: history file ${path} was unreadable (${String(error)}); moved to ${aside} and recreated`);
    const db = new Database(path);
    db.exec(schema);
    return db;
  }
}

/** Opens (or creates) the history database. better-sqlite3 is an optional peer loaded here. */
export async function openHistory(options: HistoryOptions): Promise<History> {
  if (typeof options.path !== 'string' || options.path === '') {
    throw new InvalidOptionError('path', 'a non-empty file path', options.path);
  }
  const secondRetention = options.secondRetentionMs ?? 3_600_000;
  const minuteRetention = options.minuteRetentionMs ?? 30 * 86_400_000;
  for (const [name, value] of [
    ['secondRetentionMs', secondRetention],
    ['minuteRetentionMs', minuteRetention],
  ] as const) {
    if (!(Number.isFinite(value) && value > 0)) throw new InvalidOptionError(name, 'a finite number > 0', value);
  }
  const maxSeries = options.maxSeries ?? 500;
  if (!(Number.isInteger(maxSeries) && maxSeries >= 1)) {
    throw new InvalidOptionError('maxSeries', 'an integer >= 1', maxSeries);
  }
  const warn = options.onWarning ?? ((message: string) => process.emitWarning(message));
  const Database = await loadPeer('better-sqlite3', async () => (await import('better-sqlite3')).default);
  const db = openChecked(Database, options.path, warn);
  db.pragma('journal_mode = WAL');
  // A lost last second of history after a power cut is fine; an fsync per sample on an SD card is not.
  db.pragma('synchronous = NORMAL');
  // Without a limit the WAL file keeps its largest size after a checkpoint; the bound must hold for it too.
  db.pragma('journal_size_limit = 4194304');
  const known = new Set(
    (db.prepare('SELECT metric FROM second UNION SELECT metric FROM minute').all() as { metric: string }[]).map(
      (row) => row.metric,
    ),
  );
  let warnedFull = false;
  const insert = db.prepare('INSERT OR REPLACE INTO second (metric, t, value) VALUES (?, ?, ?)');
  const rollUp = db.prepare(
    `INSERT OR REPLACE INTO minute (metric, t, value)
     SELECT metric, (t / 60000) * 60000 AS m, avg(value) FROM second WHERE t >= ? AND t < ? GROUP BY metric, m`,
  );
  const pruneSeconds = db.prepare('DELETE FROM second WHERE t < ?');
  const pruneMinutes = db.prepare('DELETE FROM minute WHERE t < ?');
  const selects = {
    '1s': db.prepare('SELECT t, value FROM second WHERE metric = ? AND t >= ? AND t <= ? ORDER BY t'),
    '1m': db.prepare('SELECT t, value FROM minute WHERE metric = ? AND t >= ? AND t <= ? ORDER BY t'),
  };
  const count = (table: 'second' | 'minute') =>
    (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  let currentMinute: number | undefined;
  let closed = false;
  const record = db.transaction((values: Record<string, number>, at: number) => {
    const second = Math.floor(at / 1000) * 1000;
    const minute = Math.floor(at / 60_000) * 60_000;
    if (currentMinute !== undefined && minute > currentMinute) {
      rollUp.run(currentMinute, minute);
      pruneSeconds.run(at - secondRetention);
      pruneMinutes.run(at - minuteRetention);
    }
    currentMinute = minute;
    for (const [metric, value] of Object.entries(values)) {
      if (!Number.isFinite(value)) continue;
      if (!known.has(metric)) {
        if (known.size >= maxSeries) {
          if (!warnedFull) {
            warnedFull = true;
            warn(
              `@pilms/monitor: history holds maxSeries=${maxSeries} series; ${metric} and later new series are not stored`,
            );
          }
          continue;
        }
        known.add(metric);
      }
      insert.run(metric, second, value);
    }
  });
  return {
    record(values, at = Date.now()) {
      record(values, at);
    },
    query(metric, { from, to, resolution }) {
      return selects[resolution].all(metric, from, to) as HistoryPoint[];
    },
    stats() {
      return { secondRows: count('second'), minuteRows: count('minute'), series: known.size };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (currentMinute !== undefined) rollUp.run(currentMinute, currentMinute + 60_000);
      db.close();
    },
  };
}
