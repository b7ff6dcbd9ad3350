import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { type CacheStore, createCache } from '../src/index.js';

const bytes = (text: string) => Buffer.from(text);

/** The one suite every L2 store passes: the {@link CacheStore} contract plus a cache on top of it. */
export function describeStore(name: string, open: () => Promise<CacheStore> | CacheStore): void {
  describe(`${name} store`, () => {
    const opened: CacheStore[] = [];
    const fresh = async () => {
      const store = await open();
      opened.push(store);
      await store.clear('');
      return store;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    it('returns the bytes it was given and undefined for unknown keys', async () => {
      const store = await fresh();
      await store.set('a', bytes('alpha'), { ttlMs: 0, tags: [] });
      expect(Buffer.from((await store.get('a')) ?? []).toString()).toBe('alpha');
      expect(await store.get('missing')).toBeUndefined();
    });

    it('forgets entries after their ttl', async () => {
      const store = await fresh();
      await store.set('short', bytes('x'), { ttlMs: 30, tags: [] });
      await sleep(80);
      expect(await store.get('short')).toBeUndefined();
    });

    it('overwrites, deletes, clears by prefix and deletes by tag', async () => {
      const store = await fresh();
      await store.set('a:1', bytes('one'), { ttlMs: 0, tags: ['course:1'] });
      await store.set('a:1', bytes('uno'), { ttlMs: 0, tags: ['course:1'] });
      await store.set('a:2', bytes('two'), { ttlMs: 0, tags: ['course:1', 'course:2'] });
      await store.set('b:1', bytes('three'), { ttlMs: 0, tags: ['course:2'] });
      expect(Buffer.from((await store.get('a:1')) ?? []).toString()).toBe('uno');
      expect((await store.deleteByTag('course:1')).sort()).toEqual(['a:1', 'a:2']);
      expect(await store.get('a:2')).toBeUndefined();
      expect(await store.get('b:1')).toBeDefined();
      await store.set('a:3', bytes('four'), { ttlMs: 0, tags: [] });
      await store.clear('a:');
      expect(await store.get('a:3')).toBeUndefined();
      expect(await store.get('b:1')).toBeDefined();
      await store.delete(['b:1']);
      expect(await store.get('b:1')).toBeUndefined();
    });

    it('grants a lock to one holder at a time and again after release', async () => {
      const store = await fresh();
      if (!store.lock) throw new Error(`${name} must implement lock()`);
      const first = await store.lock('k', 5_000);
      expect(first).toBeTypeOf('function');
      expect(await store.lock('k', 5_000)).toBeUndefined();
      await first?.();
      const again = await store.lock('k', 5_000);
      expect(again).toBeTypeOf('function');
      await again?.();
    });

    it('serves a cache whose L1 is emptied by another process from L2', async () => {
      const writer = createCache<{ title: string }>({ store: await fresh() });
      const reader = createCache<{ title: string }>({ store: await open() });
      await writer.set('lesson:1', { title: 'Fractions' }, { tags: ['course:7'] });
      expect(await reader.get('lesson:1')).toEqual({ title: 'Fractions' });
      expect(reader.stats().l2.hits).toBe(1);
      await writer.deleteByTag('course:7');
      const third = createCache<{ title: string }>({ store: await open() });
      expect(await third.get('lesson:1')).toBeUndefined();
      await Promise.all([writer.close(), reader.close(), third.close()]);
    });

    it('treats corrupt bytes in L2 as a miss and loads again', async () => {
      const store = await fresh();
      await store.set('broken', Buffer.from([1, 200, 3, 4, 5]), { ttlMs: 0, tags: [] });
      await store.set('garbage', Buffer.from([9, 9, 9]), { ttlMs: 0, tags: [] });
      const cache = createCache<string>({ store });
      expect(await cache.get('broken')).toBeUndefined();
      expect(await cache.getOrSet('garbage', () => 'reloaded')).toBe('reloaded');
      expect(cache.stats().l2.corrupt).toBe(2);
      expect(await createCache<string>({ store: await open() }).get('garbage')).toBe('reloaded');
      await cache.close();
    });
  });
}
