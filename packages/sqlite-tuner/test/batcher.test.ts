import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/index.js';
import { createWriteBatcher, DatabaseClosedError, openDatabase } from '../src/index.js';
import { kill, spawnChild, waitForFileLines } from './support.js';

const batchWriter = fileURLToPath(new URL('./children/batch-writer.ts', import.meta.url));
const signalWriter = fileURLToPath(new URL('./children/signal-writer.ts', import.meta.url));

async function notesDb() {
  const db = openDatabase(join(await tempDir(), 'batch.db'));
  db.raw.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE)');
  return db;
}

describe('WriteBatcher', () => {
  it('commits many concurrent writes in few transactions and resolves each after its commit', async () => {
    const db = await notesDb();
    const batcher = createWriteBatcher(db, { maxDelayMs: 5, maxBatchSize: 64 });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => batcher.run('INSERT INTO notes (body) VALUES (?)', [`note ${i}`])),
    );
    expect(results.every((r) => r.changes === 1)).toBe(true);
    expect(db.get<{ n: number }>('SELECT count(*) AS n FROM notes')?.n).toBe(200);
    const stats = batcher.stats();
    expect(stats.writes).toBe(200);
    expect(stats.batches).toBeLessThan(20);
    expect(stats.batchSize.max).toBeLessThanOrEqual(64);
    expect(db.stats().extensions.batcher).toEqual(stats);
    await db.close();
  });

  it('rejects only the failing writes of a batch (syntax error, constraint) and commits the rest', async () => {
    const db = await notesDb();
    const batcher = createWriteBatcher(db, { maxDelayMs: 50 });
    const outcomes = await Promise.allSettled([
      batcher.run('INSERT INTO notes (body) VALUES (?)', ['first']),
      batcher.run('INSERT INTO notes (body) VALUS (?)', ['typo']),
      batcher.run('INSERT INTO notes (body) VALUES (?)', ['first']),
      batcher.run('INSERT INTO notes (body) VALUES (?)', ['second']),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/syntax error/);
    expect(String((outcomes[2] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect(db.all('SELECT body FROM notes ORDER BY id')).toEqual([{ body: 'first' }, { body: 'second' }]);
    expect(batcher.stats()).toMatchObject({ batches: 1, writes: 2, failedWrites: 2 });
    await db.close();
  });

  it('keeps the effects of a failed write out, including what its triggers did', async () => {
    const db = await notesDb();
    db.raw.exec(`CREATE TABLE audit (body TEXT);
      CREATE TRIGGER audit_notes BEFORE INSERT ON notes BEGIN INSERT INTO audit VALUES (NEW.body); END;`);
    const batcher = createWriteBatcher(db, { maxDelayMs: 50 });
    await Promise.allSettled([
      batcher.run('INSERT INTO notes (body) VALUES (?)', ['a']),
      batcher.run('INSERT INTO notes (body) VALUES (?)', ['a']),
    ]);
    expect(db.all('SELECT body FROM audit')).toEqual([{ body: 'a' }]);
    await db.close();
  });

  it('flushes queued writes on close and refuses writes afterwards', async () => {
    const db = await notesDb();
    const batcher = createWriteBatcher(db, { maxDelayMs: 60_000 });
    const pending = batcher.run('INSERT INTO notes (body) VALUES (?)', ['queued']);
    await db.close();
    await expect(pending).resolves.toMatchObject({ changes: 1 });
    await expect(batcher.run('INSERT INTO notes (body) VALUES (?)', ['late'])).rejects.toThrow(DatabaseClosedError);
    const reopened = openDatabase(db.path);
    expect(reopened.all('SELECT body FROM notes')).toEqual([{ body: 'queued' }]);
    await reopened.close();
  });

  it('validates its options', async () => {
    const db = await notesDb();
    expect(() => createWriteBatcher(db, { maxBatchSize: 0 })).toThrow(
      'Expected `maxBatchSize` to be a finite integer >= 1, got 0',
    );
    await db.close();
  });

  it('keeps every acknowledged write and no half-applied one when the writer is SIGKILLed mid-batch', async () => {
    const path = join(await tempDir(), 'crash.db');
    const acks = join(await tempDir(), 'acks.txt');
    const { child } = await spawnChild(['--import', 'tsx', batchWriter, path, acks], 'ready');
    await waitForFileLines(acks, 500, child);
    await kill(child, 'SIGKILL');
    // A line cut short by the kill was not fully acknowledged, so only complete lines count.
    const acknowledged = readFileSync(acks, 'utf8').split('\n').slice(0, -1).map(Number);
    expect(acknowledged.length).toBeGreaterThanOrEqual(500);
    const db = openDatabase(path);
    expect(db.raw.pragma('integrity_check', { simple: true })).toBe('ok');
    const ids = new Set(db.all<{ id: number }>('SELECT id FROM entries').map((row) => row.id));
    expect(acknowledged.filter((id) => !ids.has(id))).toEqual([]);
    // Each write's trigger ran exactly once per row present: no write is half applied.
    const counter = db.get<{ n: number }>('SELECT n FROM counter')?.n;
    expect(counter).toBe(ids.size);
    const bad = db.get<{ n: number }>(
      "SELECT count(*) AS n FROM entries WHERE payload <> replace(hex(zeroblob(20)), '00', 'payload-' || id)",
    );
    expect(bad?.n).toBe(0);
    await db.close();
  });

  it('flushes queued writes when the process gets a signal it was given, then exits by that signal', async () => {
    const path = join(await tempDir(), 'signal.db');
    const { child } = await spawnChild(['--import', 'tsx', signalWriter, path], 'ready');
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    child.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    const db = openDatabase(path);
    expect(db.get<{ n: number }>('SELECT count(*) AS n FROM entries')?.n).toBe(25);
    await db.close();
  });
});
