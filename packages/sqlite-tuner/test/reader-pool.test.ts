import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/index.js';
import {
  createReaderPool,
  type ReaderPool,
  ReaderPoolClosedError,
  ReaderQueryError,
} from '../src/adapters/reader-pool.js';
import { buildReportDb, reportSql } from './report-db.js';

/** Runs `use` with a pool of `size` workers on a fresh report database of `rows` rows, then closes the pool. */
async function withPool(rows: number, size: number, use: (pool: ReaderPool, path: string) => Promise<void>) {
  const path = join(await tempDir(), 'report.db');
  buildReportDb(path, rows);
  const pool = createReaderPool(path, { size });
  try {
    await use(pool, path);
  } finally {
    await pool.close();
  }
}

describe('createReaderPool', () => {
  it('answers all() and get() on worker threads with the same rows as the main thread', async () => {
    await withPool(500, 2, async (pool, path) => {
      const main = new Database(path, { readonly: true });
      expect(await pool.all(reportSql)).toEqual(main.prepare(reportSql).all());
      expect(await pool.get('SELECT count(*) AS n FROM events WHERE kind = ?', [3])).toEqual(
        main.prepare('SELECT count(*) AS n FROM events WHERE kind = ?').get(3),
      );
      expect(await pool.get('SELECT score FROM events WHERE id = :id', { id: 10 })).toEqual({ score: (9 * 37) % 101 });
      const stats = pool.stats();
      expect(stats).toMatchObject({ size: 2, inFlight: 0, completed: 3, failed: 0, restarts: 0 });
      expect(stats.latencyMs.p99).toBeGreaterThan(0);
      main.close();
    });
  });

  it('keeps the main event loop turning while a heavy report runs on a worker', async () => {
    await withPool(4000, 1, async (pool) => {
      await pool.get('SELECT 1 AS warm');
      let settled = false;
      const report = pool.all(reportSql).finally(() => {
        settled = true;
      });
      let turns = 0;
      while (!settled) {
        await nextTurn();
        turns++;
      }
      // On the main thread the same query would run synchronously: zero turns until it returned.
      expect((await report).length).toBe(50);
      expect(turns).toBeGreaterThan(1);
    });
  });

  it('rejects a bad query with ReaderQueryError and a write with SQLITE_READONLY, and keeps serving', async () => {
    await withPool(10, 1, async (pool) => {
      const syntax = await pool.all('SELEC * FROM events').catch((error: unknown) => error);
      expect(syntax).toBeInstanceOf(ReaderQueryError);
      expect(syntax).toMatchObject({ code: 'PILMS_SQLITE_READER_QUERY', sqliteCode: 'SQLITE_ERROR' });
      const write = await pool.all('DELETE FROM events RETURNING id').catch((error: unknown) => error);
      expect(write).toMatchObject({ sqliteCode: 'SQLITE_READONLY' });
      expect(await pool.get('SELECT count(*) AS n FROM events')).toEqual({ n: 10 });
      expect(pool.stats()).toMatchObject({ completed: 1, failed: 2 });
    });
  });

  it('fails queries with ReaderPoolClosedError after close() and when the file does not exist', async () => {
    const dir = await tempDir();
    const path = join(dir, 'report.db');
    buildReportDb(path, 10);
    const pool = createReaderPool(path);
    await pool.close();
    await pool.close();
    await expect(pool.all('SELECT 1')).rejects.toBeInstanceOf(ReaderPoolClosedError);

    const missing = createReaderPool(join(dir, 'missing.db'), { size: 1 });
    try {
      await expect(missing.all('SELECT 1')).rejects.toBeInstanceOf(ReaderPoolClosedError);
      await expect(missing.all('SELECT 1')).rejects.toThrow(/has no live worker/);
      expect(missing.stats().size).toBe(0);
    } finally {
      await missing.close();
    }
    expect(() => createReaderPool(path, { size: 0 })).toThrow('Expected `size` to be a finite integer >= 1, got 0');
  });

  it('starts its workers from the built ESM and CJS files too (the .js/.cjs sibling, no tsx)', async () => {
    const path = join(await tempDir(), 'report.db');
    buildReportDb(path, 10);
    const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
    // Inside the package so the built files resolve better-sqlite3 from node_modules as an install would.
    const outDir = join(packageDir, `.dist-test-${process.pid}`);
    try {
      execFileSync(resolve(packageDir, '../../node_modules/.bin/tsup'), ['--out-dir', outDir, '--no-dts', '--silent'], {
        cwd: packageDir,
      });
      for (const file of ['reader-pool.js', 'reader-pool.cjs']) {
        const script = `const { createReaderPool } = await import(${JSON.stringify(join(outDir, 'adapters', file))});
          const pool = createReaderPool(${JSON.stringify(path)}, { size: 1 });
          console.log(JSON.stringify(await pool.get('SELECT count(*) AS n FROM events')));
          await pool.close();`;
        const scriptFile = join(outDir, 'check.mjs');
        writeFileSync(scriptFile, script);
        const output = execFileSync(process.execPath, [scriptFile], { encoding: 'utf8' });
        expect(JSON.parse(output)).toEqual({ n: 10 });
      }
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});
