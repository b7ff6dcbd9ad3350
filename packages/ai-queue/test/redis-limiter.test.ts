import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createRedisLimiter } from '@pilms/ai-queue/redis';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startRedis } from '../../../test/support/index.js';
import type { SlotLease, SlotLimiter } from '../src/slot-limiter.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

let keySeq = 0;
async function limiter(options: Partial<Parameters<typeof createRedisLimiter>[0]> = {}) {
  const created = await createRedisLimiter({
    redis: inject('redisUrl'),
    key: `test:ai-queue:${process.pid}:${keySeq}`,
    ...options,
  });
  closers.push(() => created.close());
  return created;
}

/** Acquires, holds for one poll, records the peak concurrency seen across all holders, releases. */
async function hold(target: SlotLimiter, active: { now: number; peak: number }, order?: string[], name = '') {
  const lease = await target.acquire();
  active.now++;
  active.peak = Math.max(active.peak, active.now);
  order?.push(name);
  await new Promise((resolve) => setTimeout(resolve, 20));
  active.now--;
  await lease.release();
}

describe('Redis slot limiter', () => {
  it('never lets more than `slots` calls run across several processes’ limiters', async () => {
    keySeq++;
    const limiters = [await limiter({ slots: 2 }), await limiter({ slots: 2 }), await limiter({ slots: 2 })];
    const active = { now: 0, peak: 0 };
    await Promise.all(Array.from({ length: 9 }, (_, i) => hold(limiters[i % 3] as SlotLimiter, active)));
    expect(active.peak).toBe(2);
    expect(limiters.reduce((sum, l) => sum + l.stats().granted, 0)).toBe(9);
  });

  it('serves waiting requests by priority, then arrival, across processes', async () => {
    keySeq++;
    const [a, b] = [await limiter(), await limiter()];
    const first = await a.acquire();
    const order: string[] = [];
    const waits = [
      a.acquire({ priority: 2 }).then((lease) => {
        order.push('low');
        return lease.release();
      }),
      b.acquire({ priority: 0 }).then((lease) => {
        order.push('high');
        return lease.release();
      }),
    ];
    await new Promise((resolve) => setTimeout(resolve, 100));
    await first.release();
    await Promise.all(waits);
    expect(order).toEqual(['high', 'low']);
  });

  it('drops an aborted waiter from Redis so the next one gets the slot', async () => {
    keySeq++;
    const [a, b] = [await limiter(), await limiter()];
    const first = await a.acquire();
    const controller = new AbortController();
    const aborted = a.acquire({ signal: controller.signal });
    const later = b.acquire();
    controller.abort(new Error('student left'));
    await expect(aborted).rejects.toThrow('student left');
    await first.release();
    const lease: SlotLease = await later;
    await lease.release();
    expect(b.stats().granted).toBe(1);
  });

  it('reclaims the slot of a process that crashed while holding it, after its lease', async () => {
    keySeq++;
    const key = `test:ai-queue:${process.pid}:${keySeq}`;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('./children/redis-holder.ts', import.meta.url)),
        inject('redisUrl'),
        key,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const [line] = await once(child.stdout, 'data');
    expect(String(line)).toContain('holding');
    child.kill('SIGKILL');
    await once(child, 'exit');
    const survivor = await limiter({ key, leaseMs: 300 });
    const lease = await survivor.acquire();
    await lease.release();
    expect(survivor.stats().granted).toBe(1);
  });

  it('falls back to a per-process limit when Redis dies while requests wait, losing none', async () => {
    const redis = await startRedis();
    closers.push(() => redis.stop());
    keySeq++;
    const l = await limiter({ redis: redis.url });
    const first = await l.acquire();
    const waiting = [l.acquire(), l.acquire()];
    await redis.kill();
    await first.release();
    // The local fallback has `slots` (1) places, so each lease is released as soon as it is granted.
    const served = await Promise.all(waiting.map((p) => p.then((lease) => lease.release()).then(() => true)));
    expect(served).toEqual([true, true]);
    expect(l.stats().degraded).toBe(2);
  });

  it('rejects waiting requests with CoordinationLostError when told to fail on Redis errors', async () => {
    const redis = await startRedis();
    closers.push(() => redis.stop());
    keySeq++;
    const l = await limiter({ redis: redis.url, onRedisError: 'fail' });
    const first = await l.acquire();
    // The expectation is attached before the kill, so the rejection is never unhandled for a moment.
    const waiting = expect(l.acquire()).rejects.toMatchObject({ code: 'ERR_AI_QUEUE_COORDINATION_LOST' });
    await redis.kill();
    await waiting;
    await first.release();
  });

  it('fails fast with a typed error when Redis is down at start', async () => {
    const redis = await startRedis();
    await redis.stop();
    await expect(createRedisLimiter({ redis: redis.url })).rejects.toMatchObject({
      code: 'ERR_AI_QUEUE_COORDINATION_LOST',
    });
  });

  it('validates its options at construction', async () => {
    await expect(createRedisLimiter({ redis: inject('redisUrl'), slots: 0 })).rejects.toThrow(
      'Expected `slots` to be a finite integer >= 1, got 0',
    );
  });

  it('leaves a caller-provided client open on close', async () => {
    const client = new Redis(inject('redisUrl'));
    closers.push(async () => client.quit());
    const l = await createRedisLimiter({ redis: client, key: `test:ai-queue:${process.pid}:own` });
    await (await l.acquire()).release();
    await l.close();
    expect(await client.ping()).toBe('PONG');
  });
});
