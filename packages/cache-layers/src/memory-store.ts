import type { CacheStore, ReleaseLock, StoreSetOptions } from './store.js';

interface Item {
  bytes: Uint8Array;
  expiresAt: number;
  tags: readonly string[];
}

/**
 * An in-process {@link CacheStore}: the reference implementation of the port, and an L2 for tests
 * or a single process. Not shared between processes.
 */
export function createMemoryStore(): CacheStore {
  const items = new Map<string, Item>();
  const tags = new Map<string, Set<string>>();
  const locks = new Map<string, number>();

  const live = (key: string): Item | undefined => {
    const item = items.get(key);
    if (item && item.expiresAt !== 0 && item.expiresAt <= Date.now()) {
      remove(key);
      return undefined;
    }
    return item;
  };
  const remove = (key: string) => {
    const item = items.get(key);
    if (!item) return;
    items.delete(key);
    for (const tag of item.tags) tags.get(tag)?.delete(key);
  };

  return {
    name: 'memory',
    async get(key) {
      return live(key)?.bytes;
    },
    async set(key: string, bytes: Uint8Array, options: StoreSetOptions) {
      remove(key);
      items.set(key, { bytes, expiresAt: options.ttlMs > 0 ? Date.now() + options.ttlMs : 0, tags: options.tags });
      for (const tag of options.tags) {
        const keys = tags.get(tag) ?? new Set<string>();
        tags.set(tag, keys);
        keys.add(key);
      }
    },
    async delete(keys) {
      for (const key of keys) remove(key);
    },
    async deleteByTag(tag) {
      const keys = [...(tags.get(tag) ?? [])];
      for (const key of keys) remove(key);
      tags.delete(tag);
      return keys;
    },
    async clear(prefix) {
      for (const key of [...items.keys()]) if (key.startsWith(prefix)) remove(key);
    },
    async lock(key, ttlMs): Promise<ReleaseLock | undefined> {
      const until = locks.get(key);
      if (until !== undefined && until > Date.now()) return undefined;
      const mine = Date.now() + ttlMs;
      locks.set(key, mine);
      return async () => {
        if (locks.get(key) === mine) locks.delete(key);
      };
    },
    async close() {
      items.clear();
      tags.clear();
    },
  };
}
