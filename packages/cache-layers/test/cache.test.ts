import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  createCache,
  createMemoryStore,
  InvalidKeyError,
  InvalidOptionError,
  SerializationError,
} from '../src/index.js';
import { type Course, course } from './fixtures/course.js';

describe('createCache', () => {
  it('gets, sets, checks and deletes typed values', async () => {
    const cache = createCache<Course>();
    expect(await cache.get('c1')).toBeUndefined();
    await cache.set('c1', course(1));
    expect(await cache.has('c1')).toBe(true);
    expect((await cache.get('c1'))?.title).toBe('Course 1: Introduction to fractions');
    await cache.delete('c1');
    expect(await cache.has('c1')).toBe(false);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1 });
  });

  it('expires values after their ttl', async () => {
    const cache = createCache<string>({ ttl: 20 });
    await cache.set('short', 'x');
    await cache.set('long', 'y', { ttl: 5_000 });
    await sleep(50);
    expect(await cache.get('short')).toBeUndefined();
    expect(await cache.get('long')).toBe('y');
  });

  it('keeps small values by reference in the hot tier and large ones LZ4-compressed', async () => {
    const cache = createCache<Course | string>();
    const small = 'tiny';
    await cache.set('small', small);
    for (let i = 0; i < 50; i++) await cache.set(`course:${i}`, course(i));
    const { l1 } = cache.stats();
    expect(l1.hot.entries).toBe(1);
    expect(l1.compressed.entries).toBe(50);
    // The seed's target: compressed entries at least 30% smaller than the JSON they hold.
    expect(l1.compressed.ratio).toBeGreaterThan(1 / 0.7);
    expect(l1.compressed.savedBytes).toBeGreaterThan(0);
    expect(await cache.get('course:3')).toEqual(course(3));
  });

  it('promotes a compressed value read again into the hot tier', async () => {
    const cache = createCache<Course>();
    await cache.set('c', course(1));
    await cache.get('c');
    await cache.get('c');
    const value = await cache.get('c');
    expect(value).toEqual(course(1));
    const { l1 } = cache.stats();
    expect(l1.compressed.hits).toBe(2);
    expect(l1.hot.hits).toBe(1);
  });

  it('bounds the hot tier by entry count and by bytes', async () => {
    const byCount = createCache<number>({ l1: { hotMaxEntries: 3 } });
    for (let i = 0; i < 10; i++) await byCount.set(`k${i}`, i);
    expect(byCount.stats().l1.hot.entries).toBe(3);
    expect(byCount.stats().l1.hot.evictions).toBe(7);
    const byBytes = createCache<string>({ l1: { hotMaxBytes: 1_000 } });
    for (let i = 0; i < 20; i++) await byBytes.set(`k${i}`, 'x'.repeat(200));
    expect(byBytes.stats().l1.hot.bytes).toBeLessThanOrEqual(1_000);
    expect(await byBytes.get('k19')).toBe('x'.repeat(200));
    expect(await byBytes.get('k0')).toBeUndefined();
  });

  it('bounds the compressed tier by bytes', async () => {
    const cache = createCache<Course>({ l1: { compressedMaxBytes: 20_000 } });
    for (let i = 0; i < 200; i++) await cache.set(`c${i}`, course(i));
    const { compressed } = cache.stats().l1;
    expect(compressed.bytes).toBeLessThanOrEqual(20_000);
    expect(compressed.evictions).toBeGreaterThan(0);
    expect(await cache.get('c199')).toEqual(course(199));
  });

  it('deletes by tag across namespaces and tiers', async () => {
    const store = createMemoryStore();
    const cache = createCache<string>({ store });
    const lessons = cache.namespace<string>('lessons');
    await lessons.set('1', 'a', { tags: ['course:1'] });
    await cache.set('other', 'b', { tags: ['course:1'] });
    await cache.set('kept', 'c', { tags: ['course:2'] });
    await cache.deleteByTag('course:1');
    expect(await lessons.get('1')).toBeUndefined();
    expect(await cache.get('other')).toBeUndefined();
    expect(await cache.get('kept')).toBe('c');
    expect(await store.get('other')).toBeUndefined();
  });

  it('clears one namespace without touching the others', async () => {
    const cache = createCache<string>({ store: createMemoryStore() });
    const a = cache.namespace<string>('a');
    const b = cache.namespace<string>('b');
    await a.set('k', '1');
    await b.set('k', '2');
    await a.clear();
    expect(await a.get('k')).toBeUndefined();
    expect(await b.get('k')).toBe('2');
  });

  it('loads on a miss through a namespace configured for read-through', async () => {
    const cache = createCache();
    const calls: string[] = [];
    const users = cache.namespace<{ name: string }>('users', {
      ttl: 60_000,
      loader: async ({ key }) => {
        calls.push(key);
        return { name: `user ${key}` };
      },
    });
    expect(await users.get('7')).toEqual({ name: 'user 7' });
    expect(await users.get('7')).toEqual({ name: 'user 7' });
    expect(calls).toEqual(['7']);
  });

  it('persists first and caches only what was persisted with write-through', async () => {
    const database = new Map<string, number>();
    const cache = createCache<number>({
      persist: async (key, value) => {
        if (value < 0) throw new Error('negative scores are rejected by the database');
        database.set(key, value);
      },
    });
    await cache.set('score', 10);
    expect(database.get('score')).toBe(10);
    await expect(cache.set('score', -1)).rejects.toThrow('negative');
    expect(await cache.get('score')).toBe(10);
  });

  it('rejects values that cannot be serialized at set, caching nothing', async () => {
    const cache = createCache<unknown>({ store: createMemoryStore() });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const value of [{ run: () => 1 }, cycle, { big: 10n }]) {
      await expect(cache.set('bad', value)).rejects.toBeInstanceOf(SerializationError);
    }
    expect(await cache.has('bad')).toBe(false);
  });

  it('rejects empty and too long keys', async () => {
    const cache = createCache<string>({ maxKeyLength: 16 });
    await expect(cache.set('', 'x')).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(cache.get('k'.repeat(17))).rejects.toMatchObject({
      code: 'PILMS_CACHE_INVALID_KEY',
      maxKeyLength: 16,
    });
    await expect(cache.namespace('users').get('k'.repeat(12))).rejects.toBeInstanceOf(InvalidKeyError);
  });

  it('validates options at construction with a message naming the option', () => {
    expect(() => createCache({ ttl: -1 })).toThrow('Expected `ttl` to be a finite number >= 0, got -1');
    expect(() => createCache({ l1: { hotMaxBytes: Number.NaN } })).toThrow(InvalidOptionError);
    expect(() => createCache({ adaptiveTtl: { minMs: 10, maxMs: 5 } })).toThrow('adaptiveTtl.maxMs');
    expect(() => createCache().namespace('a:b')).toThrow(InvalidOptionError);
  });

  it('refuses to work after close', async () => {
    const cache = createCache<string>();
    await cache.close();
    await cache.close();
    await expect(cache.get('k')).rejects.toMatchObject({ code: 'PILMS_CACHE_CLOSED' });
  });
});
