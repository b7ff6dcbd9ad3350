import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { BusMessage, CacheBus } from '../bus.js';
import { InvalidOptionError } from '../errors.js';
import type { CacheStore, ReleaseLock } from '../store.js';
import { checkNumber } from '../validate.js';

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

function open(options: SqliteStoreOptions): { db: SqliteDatabase; table: string; owned: boolean } {
  const table = options.table ?? 'pilms_cache';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new InvalidOptionError('table', 'an SQL identifier', table);
  if (!options.database && !options.path) throw new InvalidOptionError('path', 'a file path', options.path);
  const db = options.database ?? new Database(options.path as string);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  // A cache file is rebuilt from the source on loss, so it skips the fsync per commit (on an SD card, several ms
  // per fill); a database passed in keeps its owner's setting.
  if (!options.database) db.pragma('synchronous = NORMAL');
  return { db, table, owned: !options.database };
}

/**
 * An L2 {@link CacheStore} in a SQLite file: a cache shared by the worker processes of one board
 * when there is no Redis. WAL mode, so readers never wait for the writer, and `synchronous=NORMAL` for a file it
 * opens itself: after a power cut the newest fills may be gone, never the file's integrity.
 */
export function createSqliteStore(options: SqliteStoreOptions): CacheStore {
  const { db, table, owned } = open(options);
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

/** Options of {@link createSqliteBus}. */
export interface SqliteBusOptions extends SqliteStoreOptions {
  /** How often each process reads the change log, ms. Default 50. */
  pollMs?: number;
  /** How long a change stays in the log before it is pruned, ms. Default 60000. */
  retainMs?: number;
}

/**
 * A {@link CacheBus} on a SQLite change log: for the worker processes of one board without
 * Redis. Each process appends its invalidations and polls for the others' every `pollMs`, so the
 * propagation delay is about `pollMs`.
 */
export function createSqliteBus(options: SqliteBusOptions): CacheBus {
  checkNumber('pollMs', options.pollMs, 1);
  checkNumber('retainMs', options.retainMs, 1);
  const { db, table, owned } = open(options);
  const pollMs = options.pollMs ?? 50;
  const retainMs = options.retainMs ?? 60_000;
  db.exec(
    `CREATE TABLE IF NOT EXISTS ${table}_changes (id INTEGER PRIMARY KEY AUTOINCREMENT, message TEXT NOT NULL, at INTEGER NOT NULL)`,
  );
  const insert = db.prepare(`INSERT INTO ${table}_changes (message, at) VALUES (?, ?)`);
  const since = db.prepare<[number], { id: number; message: string }>(
    `SELECT id, message FROM ${table}_changes WHERE id > ? ORDER BY id`,
  );
  const prune = db.prepare(`DELETE FROM ${table}_changes WHERE at < ?`);
  const last = db.prepare<[], { id: number | null }>(`SELECT max(id) AS id FROM ${table}_changes`);
  let cursor = last.get()?.id ?? 0;
  const handlers = new Set<(message: BusMessage) => void>();
  let polls = 0;
  const timer = setInterval(() => {
    for (const row of since.all(cursor)) {
      cursor = row.id;
      const message = JSON.parse(row.message) as BusMessage;
      for (const handler of handlers) handler(message);
    }
    // Pruning now and then keeps the log small without a write on every poll.
    if (++polls % 100 === 0) prune.run(Date.now() - retainMs);
  }, pollMs);
  timer.unref();
  let closed = false;

  return {
    name: 'sqlite',
    ready: Promise.resolve(),
    async publish(message) {
      insert.run(JSON.stringify(message), Date.now());
    },
    subscribe(handler) {
      handlers.add(handler);
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      if (owned) db.close();
    },
  };
}
