import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { startRedis } from '../../../test/support/index.js';
import { createRedisStore } from '../src/adapters/redis.js';
import { createCache } from '../src/index.js';

const redis = await startRedis();
afterAll(() => redis.stop());

async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

describe('Redis outage', () => {
  it('keeps answering from L1 and loaders while Redis is killed, logs once, and uses Redis again after restart', async () => {
    const warnings: string[] = [];
    const recoveries: string[] = [];
    const logger = {
      warn: (message: string) => warnings.push(message),
      info: (message: string) => recoveries.push(message),
    };
    const options = {
      store: createRedisStore({ url: redis.url, prefix: 'outage:' }),
      breakerMs: 100,
      l2TimeoutMs: 200,
      logger,
    };
    const cache = createCache<string>(options);
    await cache.set('before', 'kept in L1');

    await redis.kill();
    // Nothing the user asks for fails: reads, writes, loaders, deletes.
    expect(await cache.get('before')).toBe('kept in L1');
    expect(await cache.getOrSet('during', () => 'loaded while down')).toBe('loaded while down');
    await cache.set('written', 'while down');
    await cache.delete('before');
    for (let i = 0; i < 5; i++) {
      expect(await cache.getOrSet(`k${i}`, () => `v${i}`)).toBe(`v${i}`);
      await sleep(60);
    }
    const down = cache.stats().l2;
    expect(down.errors + down.timeouts).toBeGreaterThan(0);
    expect(down.outages).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('L2 redis failed');

    await redis.start();
    await eventually(async () => {
      await cache.set('after', 'back in redis');
      return recoveries.length > 0;
    });
    const other = createCache<string>({ store: createRedisStore({ url: redis.url, prefix: 'outage:' }) });
    expect(await other.get('after')).toBe('back in redis');
    expect(other.stats().l2.hits).toBe(1);
    expect(warnings).toHaveLength(1);
    await Promise.all([cache.close(), other.close()]);
  });
});
