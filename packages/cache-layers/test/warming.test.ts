import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/index.js';
import { createCache, createMemoryStore } from '../src/index.js';
import { course } from './fixtures/course.js';

const dir = await tempDir('pilms-cache-warm-');

describe('warming, snapshots and adaptive TTL', () => {
  it('warms L1 and L2 from entries or from a loader', async () => {
    const store = createMemoryStore();
    const cache = createCache<string>({ store });
    expect(
      await cache.warm([
        { key: 'a', value: '1' },
        { key: 'b', value: '2', tags: ['t'] },
      ]),
    ).toBe(2);
    expect(await cache.warm(async () => [{ key: 'c', value: '3' }])).toBe(1);
    expect(await cache.get('a')).toBe('1');
    expect(await store.get('c')).toBeDefined();
    await cache.deleteByTag('t');
    expect(await cache.get('b')).toBeUndefined();
  });

  it('saves the hottest keys at close and reloads them at the next start', async () => {
    const path = join(dir, 'hot.json');
    const first = createCache<unknown>({ snapshot: { path, maxKeys: 2 } });
    await first.set('hot', course(1));
    await first.set('warm', 'w');
    await first.set('cold', 'c');
    for (let i = 0; i < 5; i++) await first.get('hot');
    for (let i = 0; i < 3; i++) await first.get('warm');
    await first.close();

    const second = createCache<unknown>({ snapshot: { path } });
    expect(await second.get('hot')).toEqual(course(1));
    expect(await second.get('warm')).toBe('w');
    expect(await second.get('cold')).toBeUndefined();
  });

  it('starts empty from a damaged snapshot and says so once', async () => {
    const path = join(dir, 'damaged.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, '[["half');
    const warnings: string[] = [];
    const cache = createCache<string>({ snapshot: { path }, logger: { warn: (message) => warnings.push(message) } });
    expect(await cache.get('anything')).toBeUndefined();
    expect(warnings).toEqual(['@pilms/cache-layers: ignoring an unreadable snapshot']);
  });

  it('gives often-read keys the maximum TTL and unread keys the minimum on refresh', async () => {
    const cache = createCache<string>({
      ttl: 20,
      grace: 60_000,
      adaptiveTtl: { minMs: 10, maxMs: 60_000, hotReads: 3 },
    });
    await cache.set('popular', 'p');
    await cache.set('ignored', 'i');
    for (let i = 0; i < 5; i++) await cache.get('popular');
    await sleep(120);
    // Both are stale now; the refresh picks each TTL from how often the key was read.
    await cache.getOrSet('popular', () => 'p2', { softTimeoutMs: 1_000 });
    await cache.getOrSet('ignored', () => 'i2', { softTimeoutMs: 1_000 });
    // Past the minimum, within the base TTL: only the unread key has expired.
    await sleep(40);
    expect(await cache.get('popular')).toBe('p2');
    expect(await cache.get('ignored')).toBeUndefined();
  });
});
