import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createRedisStore } from '../src/adapters/redis.js';
import { createCache } from '../src/index.js';

const url = inject('redisUrl');
const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
});

function redisCache(prefix: string) {
  const cache = createCache<string>({ store: createRedisStore({ url, prefix }) });
  closers.push(() => cache.close());
  return cache;
}

describe('stampede protection', () => {
  it('runs the loader once for 200 concurrent misses on one key in a process', async () => {
    const cache = createCache<string>();
    let runs = 0;
    const loader = async () => {
      runs++;
      await sleep(30);
      return 'lesson';
    };
    const values = await Promise.all(Array.from({ length: 200 }, () => cache.getOrSet('lesson:1', loader)));
    expect(new Set(values)).toEqual(new Set(['lesson']));
    expect(runs).toBe(1);
    expect(cache.stats().loader).toMatchObject({ runs: 1, collapsed: 199 });
  });

  it('shares one loader failure with every waiter and runs again on the next call', async () => {
    const cache = createCache<string>();
    let runs = 0;
    const failing = async () => {
      runs++;
      await sleep(10);
      throw new Error('database unavailable');
    };
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => cache.getOrSet('k', failing)));
    expect(results.every((result) => result.status === 'rejected')).toBe(true);
    expect(runs).toBe(1);
    expect(await cache.getOrSet('k', () => 'ok')).toBe('ok');
  });

  it('runs the loader once across caches that share Redis (one per process) via the Redis lock', async () => {
    const prefix = `test:stampede:${Date.now()}:`;
    const workers = [redisCache(prefix), redisCache(prefix), redisCache(prefix), redisCache(prefix)];
    let runs = 0;
    const loader = async () => {
      runs++;
      await sleep(100);
      return 'from the database';
    };
    const values = await Promise.all(
      workers.flatMap((worker) => Array.from({ length: 10 }, () => worker.getOrSet('lesson:9', loader))),
    );
    expect(new Set(values)).toEqual(new Set(['from the database']));
    expect(runs).toBe(1);
    expect(workers.reduce((sum, worker) => sum + worker.stats().loader.lockWaits, 0)).toBe(3);
  });

  it('runs the loader once across real processes that share Redis', async () => {
    const prefix = `test:stampede-processes:${Date.now()}:`;
    const startAt = String(Date.now() + 1_500);
    const outputs = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<string>((resolve, reject) => {
            const child = spawn(
              process.execPath,
              ['--import', 'tsx', join(import.meta.dirname, 'fixtures/stampede-worker.ts'), url, prefix, startAt],
              { stdio: ['ignore', 'pipe', 'inherit'] },
            );
            let output = '';
            child.stdout.on('data', (chunk: Buffer) => {
              output += chunk.toString();
            });
            child.once('exit', (code) =>
              code === 0 ? resolve(output) : reject(new Error(`worker exited with ${code}`)),
            );
          }),
      ),
    );
    const results = outputs.map((output) => JSON.parse(output) as { values: string[]; stats: { runs: number } });
    for (const result of results) expect(result.values).toEqual(['from the database']);
    const redis = new Redis(url);
    expect(await redis.get(`${prefix}loader-runs`)).toBe('1');
    redis.disconnect();
    expect(results.reduce((sum, result) => sum + result.stats.runs, 0)).toBe(1);
  });
});
