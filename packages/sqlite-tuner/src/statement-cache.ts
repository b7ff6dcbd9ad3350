import type BetterSqlite3 from 'better-sqlite3';

/** Hit/miss counters of a `StatementCache`. */
export interface StatementCacheStats {
  size: number;
  hits: number;
  misses: number;
  /** Statements prepared outside the cache because the cached one was iterating. */
  bypassed: number;
  hitRate: number;
}

/**
 * Prepared statements by SQL text in a bounded LRU. A statement whose iterator is still open is never
 * handed out again (better-sqlite3 throws "statement is busy"); a fresh uncached one is prepared instead.
 */
export class StatementCache {
  private readonly entries = new Map<string, BetterSqlite3.Statement>();
  private hits = 0;
  private misses = 0;
  private bypassed = 0;

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly capacity: number,
  ) {}

  get(sql: string): BetterSqlite3.Statement {
    const cached = this.entries.get(sql);
    if (cached !== undefined) {
      if (cached.busy) {
        this.bypassed++;
        return this.db.prepare(sql);
      }
      this.hits++;
      // Re-inserting moves the entry to the most-recently-used end of the Map.
      this.entries.delete(sql);
      this.entries.set(sql, cached);
      return cached;
    }
    this.misses++;
    const statement = this.db.prepare(sql);
    if (this.capacity > 0) {
      this.entries.set(sql, statement);
      if (this.entries.size > this.capacity) {
        const oldest = this.entries.keys().next().value as string;
        this.entries.delete(oldest);
      }
    }
    return statement;
  }

  stats(): StatementCacheStats {
    const lookups = this.hits + this.misses;
    return {
      size: this.entries.size,
      hits: this.hits,
      misses: this.misses,
      bypassed: this.bypassed,
      hitRate: lookups === 0 ? 0 : this.hits / lookups,
    };
  }
}
