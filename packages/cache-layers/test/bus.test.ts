import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, inject, it } from 'vitest';
import { tempDir } from '../../../test/support/index.js';
import { createRedisBus, createRedisStore } from '../src/adapters/redis.js';
import { createSqliteBus, createSqliteStore } from '../src/adapters/sqlite.js';
import { type Cache, type CacheBus, type CacheStore, createCache } from '../src/index.js';

const dir = await tempDir('pilms-cache-bus-');
const url = inject('redisUrl');

async function until(check: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 200 && !(await check()); i++) await sleep(20);
  expect(await check()).toBe(true);
}

function describeBus(name: string, make: () => { store: CacheStore; bus: CacheBus }) {
  const open = async () => {
    const parts = make();
    await parts.bus.ready;
    return parts;
  };
  describe(`${name} invalidation bus`, () => {
    it('drops stale L1 copies in other processes after set, delete, deleteByTag and clear', async () => {
      const a = createCache<string>(await open());
      const b = createCache<string>(await open());
      const received = (cache: Cache<string>, count: number) => () => cache.stats().bus.received >= count;
      await a.set('lesson', 'v1', { tags: ['course:1'] });
      expect(await b.get('lesson')).toBe('v1');

      await a.set('lesson', 'v2', { tags: ['course:1'] });
      await until(received(b, 2));
      expect(await b.get('lesson')).toBe('v2');

      await a.deleteByTag('course:1');
      await until(received(b, 3));
      expect(await b.get('lesson')).toBeUndefined();

      await a.namespace<string>('quiz').set('q', 'x');
      expect(await b.namespace<string>('quiz').get('q')).toBe('x');
      await a.namespace('quiz').clear();
      await until(received(b, 5));
      expect(await b.namespace<string>('quiz').get('q')).toBeUndefined();

      await b.delete('other');
      await until(received(a, 1));
      const { lagMs } = b.stats().bus;
      expect(lagMs.p99).toBeGreaterThanOrEqual(lagMs.p50);
      await Promise.all([a.close(), b.close()]);
    });
  });
}

describeBus('Redis pub/sub', () => {
  const options = { url, prefix: 'test:bus:' };
  return { store: createRedisStore(options), bus: createRedisBus(options) };
});

describeBus('SQLite change log', () => {
  const path = join(dir, 'bus.db');
  return { store: createSqliteStore({ path }), bus: createSqliteBus({ path, pollMs: 10 }) };
});

describe('node:cluster IPC invalidation bus', () => {
  it('drops the stale L1 copy in another worker of a real cluster', async () => {
    const { spawn } = await import('node:child_process');
    const primary = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures/cluster-primary.ts')],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let output = '';
    primary.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await new Promise((resolve) => primary.once('exit', resolve));
    expect(JSON.parse(output)).toEqual({ before: 'old copy', after: null, received: 1 });
  });

  it('refuses to create a cluster bus outside a worker', async () => {
    const { createClusterBus } = await import('../src/index.js');
    expect(() => createClusterBus()).toThrow(expect.objectContaining({ code: 'PILMS_CACHE_NOT_A_WORKER' }));
  });
});
