import cluster from 'node:cluster';
import { join } from 'node:path';
import { type CacheBus, type CacheStore, createCache, createClusterBus } from '@pilms/cache-layers';
import { createRedisBus, createRedisStore } from '@pilms/cache-layers/redis';
import { createSqliteBus, createSqliteStore } from '@pilms/cache-layers/sqlite';

/** Prefix of the LMS's keys and bus channel in a Redis shared with other apps. */
const redisPrefix = 'pilms-lms:';

/**
 * The second tier and invalidation bus every worker shares. With `redisUrl`, Redis holds both (several boards,
 * or one board whose Redis is already there). Otherwise the embedded SQLite file `DATA_DIR/cache.sqlite` is the
 * L2, and invalidations travel over node:cluster IPC between workers (the primary runs `relayClusterBus()`), or
 * through that file's change log for a process outside a cluster (tests, a second app on the same data dir).
 */
function sharedTier(dataDir: string, redisUrl: string | undefined): { store: CacheStore; bus: CacheBus } {
  if (redisUrl) {
    return {
      store: createRedisStore({ url: redisUrl, prefix: redisPrefix }),
      bus: createRedisBus({ url: redisUrl, prefix: redisPrefix }),
    };
  }
  const path = join(dataDir, 'cache.sqlite');
  return { store: createSqliteStore({ path }), bus: cluster.isWorker ? createClusterBus() : createSqliteBus({ path }) };
}

/** The content cache: L1 in each worker over the shared tier; stale copies are served for an hour if the DB or L2 fails. */
export function createSharedCache(options: { dataDir: string; redisUrl: string | undefined }) {
  return createCache({ ttl: 5 * 60_000, grace: 60 * 60_000, ...sharedTier(options.dataDir, options.redisUrl) });
}
