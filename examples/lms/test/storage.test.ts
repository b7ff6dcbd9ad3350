import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb } from '../src/db.js';
import { startUpkeep } from '../src/maintenance.js';
import { createProgress } from '../src/progress.js';
import { createStorage, dbPath, type Storage } from '../src/storage.js';
import { seededDataDir } from './seeded.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function storageOn(dir: string, tuned: boolean): Promise<Storage> {
  const db = openDb(dir, tuned);
  const storage = createStorage({ db, dataDir: dir, tuned, readers: 1 });
  closers.push(async () => {
    await storage.close();
    db.close();
  });
  return storage;
}

function rowsIn(dir: string, sql: string): unknown {
  const db = new Database(dbPath(dir), { readonly: true });
  try {
    return db.prepare(sql).pluck().get();
  } finally {
    db.close();
  }
}

describe('the storage of a worker', () => {
  it('group-commits concurrent progress writes and answers each caller only after its rows are in the file', async () => {
    const dir = await seededDataDir('pilms-lms-storage-');
    const storage = await storageOn(dir, true);
    const progress = createProgress(storage);
    const students = Array.from({ length: 40 }, (_, i) => i + 4);
    await Promise.all(students.map((id) => progress.complete(id, 1)));
    await progress.saveQuiz(4, 5, [{ questionId: 1, choice: 0, correct: true }]);
    // Read from a separate connection: acknowledged means committed, not merely queued.
    expect(rowsIn(dir, 'SELECT count(*) FROM progress WHERE lesson_id = 1')).toBe(40);
    expect(rowsIn(dir, 'SELECT count(*) FROM quiz_answers WHERE user_id = 4')).toBe(1);
    const batcher = (storage.stats() as { extensions: { batcher: { writes: number; batches: number } } }).extensions
      .batcher;
    expect(batcher.writes).toBe(42);
    expect(batcher.batches).toBeLessThan(batcher.writes);
  });

  it('runs report queries on the reader pool', async () => {
    const dir = await seededDataDir('pilms-lms-readers-');
    const storage = await storageOn(dir, true);
    const rows = await storage.report<{ n: number }>('SELECT count(*) AS n FROM users WHERE role = ?', ['student']);
    expect(rows).toEqual([{ n: 50 }]);
    const readers = (storage.stats() as { extensions: { readers: { completed: number } } }).extensions.readers;
    expect(readers.completed).toBe(1);
  });

  it('writes and reads directly with PILMS_PERF=off', async () => {
    const dir = await seededDataDir('pilms-lms-direct-', false);
    const storage = await storageOn(dir, false);
    await createProgress(storage).saveQuiz(4, 5, [{ questionId: 1, choice: 2, correct: false }]);
    expect(await storage.report('SELECT user_id, lesson_id FROM progress', [])).toEqual([{ user_id: 4, lesson_id: 5 }]);
    expect(storage.stats()).toEqual({ storage: 'direct' });
  });
});

describe('the upkeep of the primary', () => {
  it('takes verified backups on schedule into DATA_DIR/backups and keeps only the newest', async () => {
    const dir = await seededDataDir('pilms-lms-backups-');
    const upkeep = startUpkeep({ dataDir: dir, maintenanceIntervalMs: 50, backupIntervalMs: 100, backupKeep: 2 });
    closers.push(() => upkeep.close());
    while (upkeep.backups.stats().count < 3) await new Promise((r) => setTimeout(r, 50));
    const files = readdirSync(join(dir, 'backups'));
    expect(files).toHaveLength(2);
    expect(files.every((file) => file.endsWith('.db'))).toBe(true);
    for (const file of upkeep.backups.list()) {
      const copy = new Database(file, { readonly: true });
      expect(copy.prepare('SELECT count(*) FROM users').pluck().get()).toBe(53);
      copy.close();
    }
    const maintenance = (upkeep.stats() as { extensions: { maintenance: { checkpoints: { runs: number } } } })
      .extensions.maintenance;
    expect(maintenance.checkpoints.runs).toBeGreaterThan(0);
  });

  it('logs a failed backup, leaves no partial file behind and succeeds at the next round', async () => {
    const dir = await seededDataDir('pilms-lms-backup-fail-');
    const logged: string[] = [];
    const options = { dataDir: dir, maintenanceIntervalMs: 60_000, backupIntervalMs: 100, backupKeep: 3 };
    const upkeep = startUpkeep(options, (message) => logged.push(message));
    closers.push(() => upkeep.close());
    const backups = join(dir, 'backups');
    while (upkeep.backups.stats().count < 1) await new Promise((r) => setTimeout(r, 20));
    // The backup directory disappears (an unmounted USB stick): VACUUM INTO cannot create its file.
    rmSync(backups, { recursive: true });
    while (upkeep.backups.stats().failures < 1) await new Promise((r) => setTimeout(r, 20));
    expect(logged.some((m) => m.startsWith('backup failed, retrying in the next round:'))).toBe(true);
    mkdirSync(backups);
    const before = upkeep.backups.stats().count;
    while (upkeep.backups.stats().count === before) await new Promise((r) => setTimeout(r, 20));
    const files = readdirSync(backups);
    expect(files.length).toBeGreaterThan(0);
    expect(files.filter((file) => file.endsWith('.partial'))).toEqual([]);
  });

  it('skips the start-up backup while the newest one is younger than the interval', async () => {
    const dir = await seededDataDir('pilms-lms-backup-age-');
    const options = { dataDir: dir, maintenanceIntervalMs: 60_000, backupIntervalMs: 3_600_000, backupKeep: 7 };
    const first = startUpkeep(options);
    while (first.backups.stats().count < 1) await new Promise((r) => setTimeout(r, 20));
    await first.close();
    const second = startUpkeep(options);
    closers.push(() => second.close());
    expect(second.backups.list()).toHaveLength(1);
  });
});
