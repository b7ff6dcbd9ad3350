import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/index.js';
import {
  autoProfile,
  DatabaseOpenError,
  InvalidOptionError,
  openDatabase,
  PragmaRejectedError,
  tune,
} from '../src/index.js';

describe('openDatabase', () => {
  it('applies the pi5 profile to a new file and reports every pragma as SQLite read it back', async () => {
    const db = openDatabase(join(await tempDir(), 'app.db'));
    const byName = Object.fromEntries(db.report.pragmas.map((p) => [p.pragma, p]));
    expect(db.report.newDatabase).toBe(true);
    expect(byName.journal_mode?.actual).toBe('wal');
    expect(byName.synchronous?.actual).toBe(1);
    expect(byName.cache_size?.actual).toBe(-64000);
    expect(byName.auto_vacuum?.actual).toBe(2);
    expect(byName.page_size?.actual).toBe(4096);
    expect(db.report.pragmas.every((p) => p.applied)).toBe(true);
    expect(db.raw.pragma('busy_timeout', { simple: true })).toBe(5);
    await db.close();
  });

  it('lets every pragma be overridden', async () => {
    const db = openDatabase(join(await tempDir(), 'app.db'), { pragmas: { cache_size: -2000, synchronous: 'FULL' } });
    expect(db.raw.pragma('cache_size', { simple: true })).toBe(-2000);
    expect(db.raw.pragma('synchronous', { simple: true })).toBe(2);
    await db.close();
  });

  it('says auto_vacuum needs a VACUUM on an existing file, and applies it only when asked', async () => {
    const path = join(await tempDir(), 'old.db');
    const plain = new Database(path);
    plain.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    plain.close();
    const first = openDatabase(path);
    const report = first.report.pragmas.find((p) => p.pragma === 'auto_vacuum');
    expect(report?.applied).toBe(false);
    expect(report?.note).toMatch(/vacuum: true/);
    await first.close();
    const second = openDatabase(path, { vacuum: true });
    expect(second.report.vacuumed).toBe(true);
    expect(second.raw.pragma('auto_vacuum', { simple: true })).toBe(2);
    expect(second.all('SELECT x FROM t')).toEqual([{ x: 1 }]);
    await second.close();
  });

  it('sizes the auto profile from RAM and the number of processes sharing the file', () => {
    const gib8 = 8 * 2 ** 30;
    const one = autoProfile(gib8, 1);
    const four = autoProfile(gib8, 4);
    expect(Number(one.cache_size)).toBeLessThan(Number(four.cache_size));
    expect(Number(four.cache_size) * 4).toBeCloseTo(Number(one.cache_size), -2);
    expect(one.mmap_size).toBe(four.mmap_size);
  });

  it('tunes an existing better-sqlite3 handle with tune()', () => {
    const raw = new Database(':memory:');
    const report = tune(raw, { profile: 'test' });
    expect(report.profile).toBe('test');
    expect(raw.pragma('synchronous', { simple: true })).toBe(0);
    expect(report.pragmas.find((p) => p.pragma === 'journal_mode')?.note).toMatch(/in-memory/);
    raw.close();
  });
});

describe('openDatabase with bad input', () => {
  it('refuses a path whose directory does not exist', async () => {
    const path = join(await tempDir(), 'missing', 'app.db');
    expect(() => openDatabase(path)).toThrow(
      expect.objectContaining({ code: 'PILMS_SQLITE_OPEN_FAILED', reason: 'missing-directory' }),
    );
  });

  it('refuses a read-only file unless opened read-only, and leaves it unchanged', async () => {
    const path = join(await tempDir(), 'ro.db');
    const plain = new Database(path);
    plain.exec("CREATE TABLE t (x); INSERT INTO t VALUES ('kept')");
    plain.close();
    chmodSync(path, 0o444);
    expect(() => openDatabase(path)).toThrow(DatabaseOpenError);
    const reader = openDatabase(path, { readonly: true });
    expect(reader.all('SELECT x FROM t')).toEqual([{ x: 'kept' }]);
    await reader.close();
  });

  it('refuses a file that is not SQLite without changing it', async () => {
    const path = join(await tempDir(), 'notes.db');
    const text = 'these are my notes, not a database\n'.repeat(200);
    writeFileSync(path, text);
    let caught: unknown;
    try {
      openDatabase(path);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DatabaseOpenError);
    expect((caught as DatabaseOpenError).reason).toBe('not-a-database');
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('refuses a corrupt database', async () => {
    const path = join(await tempDir(), 'corrupt.db');
    const plain = new Database(path);
    plain.exec('CREATE TABLE t (x TEXT); CREATE INDEX t_x ON t (x);');
    const insert = plain.prepare('INSERT INTO t VALUES (?)');
    for (let i = 0; i < 2000; i++) insert.run(`row ${i}`);
    plain.close();
    const { openSync, writeSync, closeSync } = await import('node:fs');
    const fd = openSync(path, 'r+');
    // Garbage over the schema page body and the next pages: the header still says SQLite.
    writeSync(fd, Buffer.alloc(3 * 4096, 0xa5), 0, 3 * 4096, 100);
    closeSync(fd);
    expect(() => openDatabase(path, { quickCheck: true })).toThrow(
      expect.objectContaining({ code: 'PILMS_SQLITE_OPEN_FAILED', reason: 'corrupt' }),
    );
  });

  it('rejects a pragma value SQLite does not accept, naming the pragma', async () => {
    const path = join(await tempDir(), 'app.db');
    expect(() => openDatabase(path, { pragmas: { synchronous: 'SOMETIMES' } })).toThrow(PragmaRejectedError);
    expect(() => openDatabase(path, { pragmas: { cache_size: 'lots' } })).toThrow(/cache_size/);
  });

  it('rejects an unknown pragma', async () => {
    expect(() => openDatabase(':memory:', { pragmas: { cache_sise: 1000 } })).toThrow(
      /does not know the pragma `cache_sise`/,
    );
  });

  it('validates options at construction with a message naming the option', () => {
    expect(() => openDatabase(':memory:', { busyDeadlineMs: -1 })).toThrow(
      new InvalidOptionError('busyDeadlineMs', 'a finite number >= 0', -1),
    );
    expect(() => openDatabase(':memory:', { busyDeadlineMs: -1 })).toThrow(
      'Expected `busyDeadlineMs` to be a finite number >= 0, got -1',
    );
  });
});
