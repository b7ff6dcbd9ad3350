import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { InvalidOptionError } from '../errors.js';
import type { CacheStore, ReleaseLock } from '../store.js';

type SqliteDatabase = Database.Database;

/** Options of {@link createSqliteStore}. */
export interface SqliteStoreOptions {
  /** Path of the cache file shared by the workers of one machine; required unless `database` is given. */
  path?: string;
  /** An open better-sqlite3 database to use instead of `path`; it is not closed by `close()`. */
  database?: SqliteDatabase;
  /** Table name prefix. Default `pilms_cache`. */
  table?: string;
}

/**
 * An L2 {@link CacheStore} in a SQLite file: a cache shared by the worker processes of one board
 * when there is no Redis. WAL mode, so readers never wait for the writer.
 */
export function createSqliteStore(options: SqliteStoreOptions): CacheStore {
  const table = options.table ?? 'pilms_cache';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new InvalidOptionError('table', 'an SQL identifier', table);
  if (!options.database && !options.path) throw new InvalidOptionError('path', 'a file path', options.path);
  const owned = !options.database;
  const db = options.database ?? new Database(options.path as string);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`
    CREATE TABLE IF NOT EXISTS ${table} (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS ${table}_tags (tag TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (tag, key));
    CREATE TABLE IF NOT EXISTS ${table}_locks (key TEXT PRIMARY KEY, token TEXT NOT NULL, until INTEGER NOT NULL);
  `);
  const select = db.prepare<[string, number], { value: Buffer }>(
    `SELECT value FROM ${table} WHERE key = ? AND (expires_at = 0 OR expires_at > ?)`,
  );
  const upsert = db.prepare(
    `INSERT INTO ${table} (key, value, expires_at) VALUES (?, ?, ?)
     ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
  );
  const tagKey = db.prepare(`INSERT OR IGNORE INTO ${table}_tags (tag, key) VALUES (?, ?)`);
  const deleteKey = db.prepare(`DELETE FROM ${table} WHERE key = ?`);
  const untagKey = db.prepare(`DELETE FROM ${table}_tags WHERE key = ?`);
  const tagged = db.prepare<[string], { key: string }>(`SELECT key FROM ${table}_tags WHERE tag = ?`);
  const deletePrefix = db.prepare(`DELETE FROM ${table} WHERE substr(key, 1, ?) = ?`);
  const untagPrefix = db.prepare(`DELETE FROM ${table}_tags WHERE substr(key, 1, ?) = ?`);
  const takeLock = db.prepare(
    `INSERT INTO ${table}_locks (key, token, until) VALUES (?, ?, ?)
     ON CONFLICT(key) DO UPDATE SET token = excluded.token, until = excluded.until WHERE until <= ?`,
  );
  const dropLock = db.prepare(`DELETE FROM ${table}_locks WHERE key = ? AND token = ?`);

  const removeKeys = db.transaction((keys: readonly string[]) => {
    for (const key of keys) {
      deleteKey.run(key);
      untagKey.run(key);
    }
  });
  const write = db.transaction((key: string, bytes: Uint8Array, expiresAt: number, tags: readonly string[]) => {
    untagKey.run(key);
    upsert.run(key, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), expiresAt);
    for (const tag of tags) tagKey.run(tag, key);
  });
  let closed = false;

  return {
    name: 'sqlite',
    async get(key) {
      return select.get(key, Date.now())?.value;
    },
    async set(key, bytes, { ttlMs, tags }) {
      write(key, bytes, ttlMs > 0 ? Date.now() + ttlMs : 0, tags);
    },
    async delete(keys) {
      removeKeys(keys);
    },
    async deleteByTag(tag) {
      const keys = tagged.all(tag).map((row) => row.key);
      removeKeys(keys);
      return keys;
    },
    async clear(prefix) {
      db.transaction(() => {
        deletePrefix.run(prefix.length, prefix);
        untagPrefix.run(prefix.length, prefix);
      })();
    },
    async lock(key, ttlMs): Promise<ReleaseLock | undefined> {
      const token = randomUUID();
      const now = Date.now();
      if (takeLock.run(key, token, now + ttlMs, now).changes === 0) return undefined;
      return async () => {
        if (!closed) dropLock.run(key, token);
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (owned) db.close();
    },
  };
}
