// The peer caches the benchmark compares against, configured as their docs recommend for an
// in-process L1 (and the same Redis for L2).
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisDriver } from 'bentocache/drivers/redis';
import { createCache as createCacheManager } from 'cache-manager';
import { CacheableMemory } from 'cacheable';

/** BentoCache with only its memory L1 (values kept by reference, like ours). */
export function bentoMemory() {
  return new BentoCache({
    default: 'l1',
    stores: { l1: bentostore().useL1Layer(memoryDriver({ maxItems: 20_000, serialize: false })) },
  });
}

/** BentoCache with only a Redis L2, so every get goes to Redis. */
export function bentoRedis(url: string) {
  const { hostname, port } = new URL(url);
  return new BentoCache({
    default: 'l2',
    stores: { l2: bentostore().useL2Layer(redisDriver({ connection: { host: hostname, port: Number(port) } })) },
  });
}

/** cache-manager 7 with its default in-memory Keyv store. */
export function cacheManager() {
  return createCacheManager();
}

/** cacheable's LRU memory store. */
export function cacheableMemory() {
  return new CacheableMemory({ lruSize: 20_000 });
}
