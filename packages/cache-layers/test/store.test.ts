import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, inject, it } from 'vitest';
import { tempDir } from '../../../test/support/index.js';
import { createRedisStore } from '../src/adapters/redis.js';
import { createSqliteStore } from '../src/adapters/sqlite.js';
import { createMemoryStore } from '../src/index.js';
import { describeStore } from './store-suite.js';

const shared = createMemoryStore();
const dir = await tempDir('pilms-cache-store-');

// Memory store instances share nothing, so the suite reopens the same one (close() is a no-op for it).
describeStore('memory', () => ({ ...shared, close: async () => {} }));
describeStore('sqlite', () => createSqliteStore({ path: join(dir, 'cache.db') }));
describeStore('redis', () => createRedisStore({ url: inject('redisUrl'), prefix: 'test:store-suite:' }));

describe('the sqlite store and durability', () => {
  it("keeps the synchronous setting of a database it was given, since that database is its owner's", async () => {
    const db = new Database(join(dir, 'owned-elsewhere.db'));
    db.pragma('synchronous = FULL');
    const store = createSqliteStore({ database: db });
    await store.set('k', Buffer.from('v'), { ttlMs: 0, tags: [] });
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    await store.close();
    db.close();
  });
});
