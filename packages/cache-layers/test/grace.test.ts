import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createCache, LoaderTimeoutError } from '../src/index.js';

describe('grace, timeouts and loader errors', () => {
  it('serves the stale value while one background refresh runs', async () => {
    const cache = createCache<string>({ ttl: 20, grace: 60_000 });
    await cache.set('k', 'old');
    await sleep(40);
    let runs = 0;
    let finish: (value: string) => void = () => {};
    const loader = () => {
      runs++;
      return new Promise<string>((resolve) => {
        finish = resolve;
      });
    };
    expect(await cache.getOrSet('k', loader)).toBe('old');
    expect(await cache.getOrSet('k', loader)).toBe('old');
    expect(runs).toBe(1);
    finish('new');
    await sleep(10);
    expect(await cache.getOrSet('k', loader)).toBe('new');
    expect(cache.stats().loader.staleServed).toBe(2);
  });

  it('passes the stale value to the loader so it can revalidate', async () => {
    const cache = createCache<number>({ ttl: 10, grace: 60_000 });
    await cache.set('count', 1);
    await sleep(30);
    await cache.getOrSet('count', ({ stale }) => (stale ?? 0) + 1, { softTimeoutMs: 1_000 });
    expect(await cache.get('count')).toBe(2);
  });

  it('returns the stale value after the soft timeout and stores the slow result later', async () => {
    const cache = createCache<string>({ ttl: 10, grace: 60_000 });
    await cache.set('k', 'old');
    await sleep(30);
    const slow = async () => {
      await sleep(150);
      return 'new';
    };
    expect(await cache.getOrSet('k', slow, { softTimeoutMs: 10, ttl: 60_000 })).toBe('old');
    await sleep(250);
    expect(await cache.get('k')).toBe('new');
  });

  it('fails with a typed error after the hard timeout when there is no stale value', async () => {
    const cache = createCache<string>();
    const hanging = () => new Promise<string>(() => {});
    const error = await cache.getOrSet('k', hanging, { hardTimeoutMs: 30 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoaderTimeoutError);
    expect(error).toMatchObject({ code: 'PILMS_CACHE_LOADER_TIMEOUT', key: 'k', timeoutMs: 30 });
    expect(cache.stats().loader.timeouts).toBe(1);
    expect(await cache.has('k')).toBe(false);
    // A loader that beats the hard timeout is not counted as one later.
    expect(await cache.getOrSet('fast', () => 'v', { hardTimeoutMs: 20 })).toBe('v');
    await sleep(40);
    expect(cache.stats().loader.timeouts).toBe(1);
  });

  it('keeps serving a good stale value when the loader throws', async () => {
    const cache = createCache<string>({ ttl: 10, grace: 60_000 });
    await cache.set('k', 'good');
    await sleep(30);
    const broken = async (): Promise<string> => {
      throw new Error('source down');
    };
    expect(await cache.getOrSet('k', broken, { softTimeoutMs: 1_000 })).toBe('good');
    expect(await cache.getOrSet('k', broken)).toBe('good');
    await sleep(10);
    expect(await cache.getOrSet('k', broken, { softTimeoutMs: 1_000 })).toBe('good');
    expect(cache.stats().loader.errors).toBeGreaterThanOrEqual(2);
  });

  it('rethrows the loader error when there is nothing stale to serve', async () => {
    const cache = createCache<string>();
    await expect(
      cache.getOrSet('k', () => {
        throw new Error('source down');
      }),
    ).rejects.toThrow('source down');
  });

  it('drops the stale value once the grace period is over', async () => {
    const cache = createCache<string>({ ttl: 10, grace: 20 });
    await cache.set('k', 'old');
    await sleep(60);
    expect(await cache.getOrSet('k', () => 'fresh')).toBe('fresh');
  });
});
