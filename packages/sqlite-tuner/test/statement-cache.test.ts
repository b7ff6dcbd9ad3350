import { describe, expect, it } from 'vitest';
import { createSlowQueryLog, openDatabase } from '../src/index.js';

describe('statement cache', () => {
  it('returns the same prepared statement for the same SQL and counts hits', async () => {
    const db = openDatabase(':memory:', { profile: 'test' });
    const first = db.prepareCached('SELECT 1 AS one');
    expect(db.prepareCached('SELECT 1 AS one')).toBe(first);
    expect(db.stats().statementCache).toMatchObject({ hits: 1, misses: 1, size: 1, hitRate: 0.5 });
    await db.close();
  });

  it('evicts the least recently used statement past its capacity', async () => {
    const db = openDatabase(':memory:', { profile: 'test', statementCacheSize: 2 });
    const a = db.prepareCached('SELECT 1');
    db.prepareCached('SELECT 2');
    db.prepareCached('SELECT 1');
    db.prepareCached('SELECT 3');
    expect(db.prepareCached('SELECT 1')).toBe(a);
    expect(db.stats().statementCache.size).toBe(2);
    db.prepareCached('SELECT 2');
    expect(db.stats().statementCache.misses).toBe(4);
    await db.close();
  });

  it('never hands out a statement that is still iterating', async () => {
    const db = openDatabase(':memory:', { profile: 'test' });
    db.raw.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3)');
    const sql = 'SELECT x FROM t ORDER BY x';
    const seen: number[] = [];
    for (const row of db.prepareCached(sql).iterate() as IterableIterator<{ x: number }>) {
      // Nested use of the same SQL while the outer iterator is open.
      seen.push(row.x, db.all<{ x: number }>(sql).length);
    }
    expect(seen).toEqual([1, 3, 2, 3, 3, 3]);
    expect(db.stats().statementCache.bypassed).toBe(3);
    await db.close();
  });

  it('records per-statement latency percentiles in stats()', async () => {
    const db = openDatabase(':memory:', { profile: 'test' });
    for (let i = 0; i < 10; i++) db.get('SELECT ? AS v', [i]);
    const stats = db.stats();
    expect(stats.statements.total).toBe(10);
    expect(stats.statements.bySql['SELECT ? AS v']).toMatchObject({ count: 10 });
    expect(stats.statements.bySql['SELECT ? AS v']?.p99).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(JSON.stringify(stats))).toEqual(stats);
    await db.close();
  });

  it('feeds every statement to onStatement listeners, so a slow-query log gets index advice', async () => {
    const db = openDatabase(':memory:', { profile: 'test' });
    db.raw.exec('CREATE TABLE enrolments (student INTEGER, course INTEGER)');
    const log = createSlowQueryLog(db.raw, { thresholdMs: 0 });
    db.onStatement((sql, ms, params) => log.observe(sql, ms, params));
    db.all('SELECT * FROM enrolments WHERE course = ?', [7]);
    const [entry] = log.entries();
    expect(entry?.sql).toBe('SELECT * FROM enrolments WHERE course = ?');
    expect(entry?.suggestions.join()).toMatch(/CREATE INDEX .*enrolments.*course/);
    await db.close();
  });
});
