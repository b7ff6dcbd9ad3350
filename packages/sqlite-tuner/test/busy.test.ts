import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/index.js';
import { DatabaseBusyError, openDatabase } from '../src/index.js';
import { kill, spawnChild } from './support.js';

const holdLock = fileURLToPath(new URL('./children/hold-lock.cjs', import.meta.url));

async function sharedFile() {
  const path = join(await tempDir(), 'shared.db');
  const db = openDatabase(path, { busyDeadlineMs: 300 });
  db.raw.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  return { path, db };
}

describe('async busy handling', () => {
  it('throws DatabaseBusyError naming the statement when another process holds the lock past the deadline', async () => {
    const { path, db } = await sharedFile();
    const { child } = await spawnChild([holdLock, path], 'locked');
    try {
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 5);
      const sql = "INSERT INTO notes (body) VALUES ('mine')";
      const error = await db.run(sql).catch((caught: unknown) => caught);
      clearInterval(ticker);
      expect(error).toBeInstanceOf(DatabaseBusyError);
      expect((error as DatabaseBusyError).sql).toBe(sql);
      expect((error as DatabaseBusyError).attempts).toBeGreaterThan(1);
      // The event loop kept running while we waited for the lock.
      expect(ticks).toBeGreaterThan(0);
      await expect(db.transaction(() => db.runSync(sql))).rejects.toThrow(DatabaseBusyError);
      expect(db.stats().busy.timeouts).toBe(2);
    } finally {
      await kill(child);
    }
    // The killed holder's uncommitted row is gone and ours was never half-written.
    expect(db.all('SELECT body FROM notes')).toEqual([]);
    await db.run("INSERT INTO notes (body) VALUES ('after')");
    expect(db.all('SELECT body FROM notes')).toEqual([{ body: 'after' }]);
    await db.close();
  });

  it('waits asynchronously and succeeds once the other process releases the lock', async () => {
    const { path, db } = await sharedFile();
    const slow = openDatabase(path, { busyDeadlineMs: 30_000 });
    const { child } = await spawnChild([holdLock, path], 'locked');
    const pending = slow.transaction(() => slow.runSync("INSERT INTO notes (body) VALUES ('waited')"));
    setTimeout(() => void kill(child), 200);
    await pending;
    expect(slow.all('SELECT body FROM notes')).toEqual([{ body: 'waited' }]);
    expect(slow.stats().busy.retries).toBeGreaterThan(0);
    await slow.close();
    await db.close();
  });
});

describe('transaction', () => {
  it('rolls back everything when the function throws', async () => {
    const { db } = await sharedFile();
    await expect(
      db.transaction(() => {
        db.runSync("INSERT INTO notes (body) VALUES ('one')");
        db.runSync('INSERT INTO notes (body) VALUES (NULL)');
      }),
    ).rejects.toThrow(/NOT NULL/);
    expect(db.all('SELECT * FROM notes')).toEqual([]);
    expect(db.stats().transactions).toEqual({ committed: 0, rolledBack: 1 });
    await db.close();
  });
});
