import cluster from 'node:cluster';
import { join } from 'node:path';
import { type CacheBus, type CacheStore, createCache, createClusterBus } from '@pilms/cache-layers';
import { createRedisBus, createRedisStore } from '@pilms/cache-layers/redis';
import { createSqliteBus, createSqliteStore } from '@pilms/cache-layers/sqlite';
import { tune } from '@pilms/sqlite-tuner';
import Database from 'better-sqlite3';

/** Prefix of the LMS's keys and bus channel in a Redis shared with other apps. */
const redisPrefix = 'pilms-lms:';

/**
 * The second tier and invalidation bus every worker shares. With `redisUrl`, Redis holds both (several boards,
 * or one board whose Redis is already there). Otherwise the embedded SQLite file `DATA_DIR/cache.sqlite` is the
 * L2, and invalidations travel over node:cluster IPC between workers (the primary runs `relayClusterBus()`), or
 * through that file's change log for a process outside a cluster (tests, a second app on the same data dir).
 */
function sharedTier(
  dataDir: string,
  redisUrl: string | undefined,
): { store: CacheStore; bus: CacheBus; file?: Database.Database } {
  if (redisUrl) {
    return {
      store: createRedisStore({ url: redisUrl, prefix: redisPrefix }),
      bus: createRedisBus({ url: redisUrl, prefix: redisPrefix }),
    };
  }
  // A cache needs no durability: the pi5 profile's synchronous=NORMAL spares an fsync per cache fill, which on an
  // SD card costs milliseconds; a lost entry is just a miss. A small page cache: the main database needs the RAM.
  const file = new Database(join(dataDir, 'cache.sqlite'));
  tune(file, { profile: 'pi5', pragmas: { cache_size: -8000, mmap_size: 0 } });
  return {
    store: createSqliteStore({ database: file }),
    bus: cluster.isWorker ? createClusterBus() : createSqliteBus({ database: file }),
    file,
  };
}

/**
 * The content cache: L1 in each worker over the shared tier; stale copies are served for an hour if the DB or
 * L2 fails. `close()` closes the cache, then its SQLite file.
 */
export function createSharedCache(options: { dataDir: string; redisUrl: string | undefined }) {
  const { file, ...tier } = sharedTier(options.dataDir, options.redisUrl);
  const cache = createCache({ ttl: 5 * 60_000, grace: 60 * 60_000, ...tier });
  return {
    cache,
    async close(): Promise<void> {
      await cache.close();
      file?.close();
    },
  };
}
