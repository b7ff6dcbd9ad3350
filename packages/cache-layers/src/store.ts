/** Options a store receives with every write. */
export interface StoreSetOptions {
  /** How long the store must keep the bytes, in ms; 0 keeps them until deleted. */
  ttlMs: number;
  /** Tags to index the key under for {@link CacheStore.deleteByTag}. */
  tags: readonly string[];
}

/** Releases a lock taken with {@link CacheStore.lock}. */
export type ReleaseLock = () => Promise<void>;

/**
 * The L2 port: a byte store shared by processes (Redis, SQLite) or local (memory).
 * Every implementation passes the same suite in `test/store-suite.ts`.
 */
export interface CacheStore {
  /** Short name for logs and stats, e.g. `redis`. */
  readonly name: string;
  get(key: string): Promise<Uint8Array | undefined>;
  set(key: string, bytes: Uint8Array, options: StoreSetOptions): Promise<void>;
  delete(keys: readonly string[]): Promise<void>;
  /** Deletes every key indexed under `tag` and returns them. */
  deleteByTag(tag: string): Promise<string[]>;
  /** Deletes every key starting with `prefix` (all keys for `''`). */
  clear(prefix: string): Promise<void>;
  /** Takes a lock that expires after `ttlMs`; resolves undefined when another holder has it. */
  lock?(key: string, ttlMs: number): Promise<ReleaseLock | undefined>;
  /** Closes what the store created; a client passed in stays open. Idempotent. */
  close(): Promise<void>;
}
