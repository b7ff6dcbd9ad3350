import { join } from 'node:path';
import { inject } from 'vitest';
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
