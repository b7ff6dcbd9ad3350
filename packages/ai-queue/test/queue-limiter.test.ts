import { createAiQueue } from '@pilms/ai-queue';
import { createRedisLimiter, type RedisLimiter } from '@pilms/ai-queue/redis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startRedis } from '../../../test/support/index.js';
import { type OllamaSimulator, startOllamaSimulator } from '../../../test/support/ollama-simulator/index.js';

const model = 'llama3.2:1b';
const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function simulator(): Promise<OllamaSimulator> {
  // Ollama itself would run 4 at once here, so only the shared limiter can keep it to one.
  const sim = await startOllamaSimulator({ timeScale: 200, parallel: 4 });
  closers.push(() => sim.close());
  return sim;
}

async function limiter(redis: string, key: string): Promise<RedisLimiter> {
  const created = await createRedisLimiter({ redis, key, slots: 1 });
  closers.push(() => created.close());
  return created;
}

/** Two queues, as in two LMS processes, each allowed 2 calls locally, sharing one Redis-held slot. */
async function twoProcesses(sim: OllamaSimulator, redis: string) {
  const key = `test:queue-limiter:${process.pid}:${Math.random()}`;
  const limiters = [await limiter(redis, key), await limiter(redis, key)];
  const queues = limiters.map((shared) => createAiQueue({ host: sim.host, concurrency: 2, limiter: shared }));
  const askAll = (count: number, predict = 3) =>
    Promise.all(
      Array.from({ length: count }, (_, i) =>
        (queues[i % 2] ?? queues[0])?.chat({
          model,
          messages: [{ role: 'user', content: `question ${i}` }],
          options: { num_predict: predict },
        }),
      ),
    );
  return { limiters, askAll };
}

describe('queues sharing a Redis limiter', () => {
  it('keep the whole app to the global slot count while answering every request', async () => {
    const sim = await simulator();
    const { askAll } = await twoProcesses(sim, inject('redisUrl'));
    const answers = await askAll(6);
    expect(answers.every((answer) => answer?.done)).toBe(true);
    expect(sim.stats().maxRunning).toBe(1);
  });

  it('still answer every queued request when Redis dies while they coordinate', async () => {
    const sim = await simulator();
    const redis = await startRedis();
    closers.push(() => redis.stop());
    const { limiters, askAll } = await twoProcesses(sim, redis.url);
    // Long answers (~30 ms each at this time scale) so most requests are still waiting when Redis goes.
    const answers = askAll(6, 120);
    await redis.kill();
    expect((await answers).every((answer) => answer?.done)).toBe(true);
    expect(limiters.reduce((sum, shared) => sum + shared.stats().degraded, 0)).toBeGreaterThan(0);
  });
});
