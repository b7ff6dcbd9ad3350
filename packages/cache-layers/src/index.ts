export type { BusMessage, CacheBus } from './bus.js';
export {
  type Cache,
  type CacheOptions,
  type CacheStats,
  createCache,
  type GetOrSetOptions,
  type Loader,
  type ScopeOptions,
  type SetOptions,
  type WarmEntry,
} from './cache.js';
export { createClusterBus, relayClusterBus } from './cluster-bus.js';
export { type Codec, jsonCodec } from './codec.js';
export { defaults } from './defaults.js';
export {
  ClosedError,
  errors,
  FlushFailedError,
  InvalidKeyError,
  InvalidOptionError,
  LoaderTimeoutError,
  PilmsCacheError,
  SerializationError,
} from './errors.js';
export type { CacheLogger } from './guard.js';
export {
  type CacheableRequest,
  type CachedResponse,
  createResponseCache,
  type PreparedResponse,
  type ResponseCache,
  type ResponseCacheOptions,
  type ResponseCacheStore,
} from './http/response-cache.js';
export {
  type CacheControlPreset,
  cacheControlPresets,
  createEtag,
  isNotModified,
  type RequestHeaders,
} from './http/validators.js';
export { createMemoryStore } from './memory-store.js';
export type { CacheStore, ReleaseLock, StoreSetOptions } from './store.js';
export {
  createWriteBehind,
  type WriteBehind,
  type WriteBehindItem,
  type WriteBehindOptions,
  type WriteBehindStats,
} from './write-behind.js';
