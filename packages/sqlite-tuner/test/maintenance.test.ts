import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/index.js';
import { createMaintenance, openDatabase } from '../src/index.js';
import { spawnChild } from './support.js';

const maintenanceExit = fileURLToPath(new URL('./children/maintenance-exit.ts', import.meta.url));

async function logDb() {
  const db = openDatabase(join(await tempDir(), 'maint.db'), { pragmas: { wal_autocheckpoint: 0 } });
  db.raw.exec('CREATE TABLE log (id INTEGER PRIMARY KEY, body TEXT)');
  return db;
}

async function writeRows(db: Awaited<ReturnType<typeof logDb>>, count: number) {
  await db.transaction(() => {
    for (let i = 0; i < count; i++) db.runSync('INSERT INTO log (body) VALUES (?)', ['x'.repeat(500)]);
  });
}

describe('maintenance', () => {
  it('TRUNCATE-checkpoints the WAL once it passes the size threshold, keeping every row', async () => {
    const db = await logDb();
    const maintenance = createMaintenance(db, { walCheckpointBytes: 1 });
    await writeRows(db, 200);
    expect(db.stats().wal.bytes).toBeGreaterThan(0);
    maintenance.tick();
    expect(db.stats().wal.bytes).toBe(0);
    expect(maintenance.stats().checkpoints).toMatchObject({ runs: 1, incomplete: 0 });
    expect(db.get<{ n: number }>('SELECT count(*) AS n FROM log')?.n).toBe(200);
    await db.close();
  });

  it('checkpoints a small WAL only once the database has been idle for a round', async () => {
    const db = await logDb();
    const maintenance = createMaintenance(db);
    await writeRows(db, 10);
    maintenance.tick();
    expect(maintenance.stats().checkpoints.runs).toBe(0);
    maintenance.tick();
    expect(maintenance.stats().checkpoints.runs).toBe(1);
    expect(db.stats().wal.bytes).toBe(0);
    await db.close();
  });

  it('reports checkpoint starvation while a reader holds an old snapshot, and clears it when the reader ends', async () => {
    const db = await logDb();
    const maintenance = createMaintenance(db, { starvationAfter: 2 });
    await writeRows(db, 5);
    const reader = new Database(db.path);
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM log').get();
    for (let round = 0; round < 3; round++) {
      await writeRows(db, 50);
      maintenance.checkpoint();
    }
    expect(maintenance.stats().starved).toBe(1);
    expect(maintenance.stats().checkpoints.incomplete).toBe(3);
    reader.exec('COMMIT');
    reader.close();
    maintenance.checkpoint();
    expect(maintenance.stats().starved).toBe(0);
    expect(db.stats().wal.bytes).toBe(0);
    await db.close();
  });

  it('runs incremental_vacuum when the freelist is large', async () => {
    const db = await logDb();
    const maintenance = createMaintenance(db, { freelistPages: 0, walCheckpointBytes: Number.MAX_SAFE_INTEGER });
    await writeRows(db, 300);
    await db.run('DELETE FROM log');
    expect(db.raw.pragma('freelist_count', { simple: true })).toBeGreaterThan(0);
    maintenance.tick();
    expect(db.raw.pragma('freelist_count', { simple: true })).toBe(0);
    expect(maintenance.stats().pagesVacuumed).toBeGreaterThan(0);
    await db.close();
  });

  it('runs quick_check and PRAGMA optimize on demand and counts them', async () => {
    const db = await logDb();
    const maintenance = createMaintenance(db);
    expect(maintenance.quickCheck()).toEqual({ ok: true, messages: ['ok'] });
    maintenance.optimize();
    expect(db.stats().extensions.maintenance).toMatchObject({ quickChecks: 1, quickCheckFailures: 0, optimizeRuns: 1 });
    await db.close();
  });

  it('validates its options', async () => {
    const db = await logDb();
    expect(() => createMaintenance(db, { intervalMs: 0 })).toThrow(
      'Expected `intervalMs` to be a finite number >= 1, got 0',
    );
    await db.close();
  });

  it("never keeps a process alive: its timers are unref'd", async () => {
    const path = join(await tempDir(), 'exit.db');
    const { child } = await spawnChild(['--import', 'tsx', maintenanceExit, path], 'ready');
    const [code] = child.exitCode === null ? await once(child, 'exit') : [child.exitCode];
    expect(code).toBe(0);
  });
});
