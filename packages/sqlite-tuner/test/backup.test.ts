import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/index.js';
import { BackupError, createBackups, openDatabase, restoreBackup, verifyDatabaseFile } from '../src/index.js';

async function seeded() {
  const dir = await tempDir();
  const db = openDatabase(join(dir, 'app.db'));
  db.raw.exec("CREATE TABLE grades (student TEXT, score INTEGER); INSERT INTO grades VALUES ('ana', 91)");
  return { dir, db };
}

describe('backups', () => {
  it('writes a verified copy, keeps only the newest N and reports its age', async () => {
    const { dir, db } = await seeded();
    const backups = createBackups(db, { dir: join(dir, 'backups'), keep: 2 });
    expect(db.stats().extensions.backups).toMatchObject({ count: 0, ageMs: -1 });
    const first = await backups.run();
    await backups.run();
    const third = await backups.run();
    expect(third.pruned).toEqual([first.path]);
    expect(backups.list()).toHaveLength(2);
    expect(backups.list().at(-1)).toBe(third.path);
    expect(() => verifyDatabaseFile(third.path)).not.toThrow();
    const stats = backups.stats();
    expect(stats.count).toBe(3);
    expect(stats.ageMs).toBeGreaterThanOrEqual(0);
    await db.close();
  });

  it('copies with the online backup API too, including writes committed just before', async () => {
    const { dir, db } = await seeded();
    await db.run("INSERT INTO grades VALUES ('ben', 77)");
    const backups = createBackups(db, { dir: join(dir, 'backups'), method: 'backup-api' });
    const { path } = await backups.run();
    await db.close();
    const copy = openDatabase(path, { readonly: true });
    expect(copy.all('SELECT student FROM grades ORDER BY student')).toEqual([{ student: 'ana' }, { student: 'ben' }]);
    await copy.close();
  });

  it('restores a good backup over the live file', async () => {
    const { dir, db } = await seeded();
    const { path } = await createBackups(db, { dir: join(dir, 'backups') }).run();
    await db.run('DELETE FROM grades');
    await db.close();
    restoreBackup(path, db.path);
    const restored = openDatabase(db.path);
    expect(restored.all('SELECT student, score FROM grades')).toEqual([{ student: 'ana', score: 91 }]);
    await restored.close();
  });

  it('refuses to restore a corrupt backup and leaves the live database untouched', async () => {
    const { dir, db } = await seeded();
    await db.close();
    const before = readFileSync(db.path);
    const bogus = join(dir, 'bogus.db');
    writeFileSync(bogus, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(8192, 0x5a)]));
    expect(() => restoreBackup(bogus, db.path)).toThrow(BackupError);
    expect(readFileSync(db.path)).toEqual(before);
  });

  it('validates its options', async () => {
    const { dir, db } = await seeded();
    expect(() => createBackups(db, { dir: join(dir, 'b'), keep: 0 })).toThrow(
      'Expected `keep` to be a finite integer >= 1, got 0',
    );
    expect(() => createBackups(db, { dir: '' })).toThrow(/`dir`/);
    await db.close();
  });
});
