import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CacheLike,
  createAiQueue,
  ModelNotFoundError,
  OllamaUnavailableError,
  QueueFullError,
  RequestCancelledError,
  type SlotLimiter,
} from '@pilms/ai-queue';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/index.js';
import { ask, drain, model, setup } from './helpers.js';

describe('createAiQueue', () => {
  it('returns a chat answer, and a stream of chunks with stream: true', async () => {
    const { queue } = await setup();
    const reply = await queue.chat(ask('what is a cell'));
    expect(reply.message.content.startsWith('what is')).toBe(true);
    const parts: string[] = [];
    for await (const chunk of await queue.chat({ ...ask('what is a cell'), stream: true }))
      parts.push(chunk.message.content);
    expect(parts.join('')).toBe(reply.message.content);
    expect(queue.stats()).toMatchObject({ running: 0, completed: 3 });
  });

  it('serves interactive requests before queued background work', async () => {
    const { queue } = await setup({ concurrency: 1 });
    const order: string[] = [];
    const track = (name: string, p: Promise<unknown>) => p.then(() => order.push(name));
    const blocker = track('blocker', queue.chat(ask('first', 20)));
    const background = [1, 2, 3].map((i) => track(`bg${i}`, queue.chat(ask(`grade ${i}`), { priority: 'background' })));
    const student = track('student', queue.chat(ask('help'), { priority: 'interactive' }));
    await Promise.all([blocker, student, ...background]);
    expect(order).toEqual(['blocker', 'student', 'bg1', 'bg2', 'bg3']);
  });

  it('keeps a slot free of background work while interactive requests wait', async () => {
    const { queue } = await setup({ concurrency: 2, reservedSlots: 1, agingMs: 1 });
    const started: string[] = [];
    // Each token costs at least one timer tick, so 200-token background answers outlast the 10 ms pause below.
    const run = async (name: string, priority: 'background' | 'interactive') => {
      const stream = await queue.chat(
        { ...ask(name, priority === 'background' ? 200 : 5), stream: true },
        { priority },
      );
      started.push(name);
      for await (const _ of stream) {
        // consume
      }
    };
    const all = [run('bg1', 'background'), run('bg2', 'background'), run('bg3', 'background')];
    await sleep(10);
    all.push(run('student1', 'interactive'), run('student2', 'interactive'));
    await Promise.all(all);
    // bg3 is older, so aging alone would start it before the students; the reserved slot goes to student1.
    expect(started.slice(0, 2).sort()).toEqual(['bg1', 'bg2']);
    expect(started[2]).toBe('student1');
  });

  it('lets a user with one request pass a user with many queued in the same class', async () => {
    const { queue } = await setup({ concurrency: 1 });
    const order: string[] = [];
    const track = (name: string, p: Promise<unknown>) => p.then(() => order.push(name));
    const blocker = track('blocker', queue.chat(ask('first', 20)));
    const teacher = [1, 2, 3, 4].map((i) => track(`teacher${i}`, queue.chat(ask(`t${i}`), { user: 'teacher' })));
    const student = track('student', queue.chat(ask('s'), { user: 'student' }));
    await Promise.all([blocker, student, ...teacher]);
    expect(order.indexOf('student')).toBe(2);
  });

  it("shares tokens, not turns, between users: short questions pass another user's long answers", async () => {
    const { queue } = await setup({ concurrency: 1 });
    const order: string[] = [];
    const track = (name: string, p: Promise<unknown>) => p.then(() => order.push(name));
    const blocker = track('blocker', queue.chat(ask('first', 20)));
    const essays = [1, 2, 3].map((i) => track(`essay${i}`, queue.chat(ask(`e${i}`, 200), { user: 'a' })));
    const questions = [1, 2, 3, 4].map((i) => track(`q${i}`, queue.chat(ask(`q${i}`, 10), { user: 'b' })));
    await Promise.all([blocker, ...essays, ...questions]);
    // Plain round-robin would alternate essay1, q1, essay2, q2, ...; by tokens, b's four short answers cost less
    // than a's first essay.
    expect(order).toEqual(['blocker', 'essay1', 'q1', 'q2', 'q3', 'q4', 'essay2', 'essay3']);
  });

  it('ages waiting background work so it eventually runs before newer interactive work', async () => {
    const { queue } = await setup({ concurrency: 1, agingMs: 1 });
    const order: string[] = [];
    const track = (name: string, p: Promise<unknown>) => p.then(() => order.push(name));
    const blocker = track('blocker', queue.chat(ask('first', 40)));
    const background = track('background', queue.chat(ask('old'), { priority: 'background' }));
    await sleep(20);
    const student = track('student', queue.chat(ask('new'), { priority: 'interactive' }));
    await Promise.all([blocker, background, student]);
    expect(order).toEqual(['blocker', 'background', 'student']);
  });

  it('removes a request aborted while queued without ever sending it', async () => {
    const { sim, queue } = await setup({ concurrency: 1 });
    const blocker = queue.chat(ask('first', 20));
    const controller = new AbortController();
    const queued = queue.chat(ask('bye'), { signal: controller.signal });
    controller.abort();
    await expect(queued).rejects.toMatchObject({ code: 'CANCELLED', phase: 'queued' });
    await blocker;
    // The warm-up load and the blocker only.
    expect(sim.stats().requests).toBe(2);
    expect(queue.stats()).toMatchObject({ cancelled: 1, running: 0, queued: { normal: 0 } });
  });

  it('aborts a running stream on disconnect, frees the slot on the server and in the queue', async () => {
    const { sim, queue } = await setup({ concurrency: 1 }, 20);
    const controller = new AbortController();
    const stream = await queue.chat({ ...ask('long', 500), stream: true }, { signal: controller.signal });
    const read = (async () => {
      for await (const _ of stream) controller.abort();
    })();
    await expect(read).rejects.toBeInstanceOf(RequestCancelledError);
    await expect.poll(() => sim.stats().running).toBe(0);
    expect(sim.stats().aborted).toBe(1);
    expect((await queue.chat(ask('next'))).done).toBe(true);
  });

  it('cancels a request whose deadline passes while the host hangs', async () => {
    const { sim, queue } = await setup();
    sim.setFault({ type: 'hang' });
    await expect(queue.chat(ask('x'), { deadline: Date.now() + 100 })).rejects.toMatchObject({
      code: 'CANCELLED',
      phase: 'running',
    });
    sim.setFault(undefined);
    expect(queue.stats().running).toBe(0);
    expect((await queue.chat(ask('after'))).done).toBe(true);
  });

  it('rejects at once with QueueFullError and retryAfterMs when a class queue is full, keeping the queued ones', async () => {
    const { queue } = await setup({ concurrency: 1, maxQueued: { background: 2 } });
    const accepted = [1, 2, 3].map((i) => queue.chat(ask(`g${i}`), { priority: 'background' }));
    const error = await queue.chat(ask('g4'), { priority: 'background' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueFullError);
    expect((error as QueueFullError).retryAfterMs).toBeGreaterThan(0);
    expect((await Promise.all(accepted)).every((r) => r.done)).toBe(true);
    expect(queue.stats().rejected).toBe(1);
  });

  it('rejects up front when the estimated wait exceeds the deadline', async () => {
    const { queue } = await setup({ concurrency: 1 });
    const running = queue.chat(ask('busy', 20));
    await expect(queue.chat(ask('late'), { deadline: Date.now() + 1 })).rejects.toBeInstanceOf(QueueFullError);
    await running;
  });

  it('names the installed models when the model is unknown', async () => {
    const { queue } = await setup();
    const error = await queue.chat({ ...ask('x'), model: 'mistral:7b' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect((error as ModelNotFoundError).available).toContain(model);
    expect((error as Error).message).toContain('mistral:7b');
  });

  it('fails clearly when Ollama is down at start, after its retries', async () => {
    const queue = createAiQueue({ host: `http://127.0.0.1:${await freePort()}`, retries: 2, retryBaseMs: 1 });
    await expect(queue.chat(ask('x'))).rejects.toBeInstanceOf(OllamaUnavailableError);
    expect(queue.stats()).toMatchObject({ retries: 2, failed: 1, running: 0 });
  });

  it('retries a 503 from Ollama with backoff and then succeeds', async () => {
    const { sim, queue } = await setup();
    sim.setFault({ type: 'busy', count: 2 });
    expect((await queue.chat(ask('x'))).done).toBe(true);
    expect(queue.stats().retries).toBe(2);
  });

  it('turns Ollama dying mid-stream into OllamaUnavailableError and frees the slot', async () => {
    const { sim, queue } = await setup({ concurrency: 1 });
    sim.setFault({ type: 'die', afterChunks: 2 });
    await expect(
      (async () => {
        for await (const _ of await queue.chat({ ...ask('x', 10), stream: true })) {
          // consume
        }
      })(),
    ).rejects.toBeInstanceOf(OllamaUnavailableError);
    sim.setFault(undefined);
    expect(queue.stats().running).toBe(0);
    expect((await queue.chat(ask('after'))).done).toBe(true);
  });

  it('fails a stream with a malformed NDJSON line or completes it without losing tokens', async () => {
    const { sim, queue } = await setup();
    sim.setFault({ type: 'malformed', afterChunks: 1 });
    const parts: string[] = [];
    const outcome = await (async () => {
      for await (const chunk of await queue.chat({ ...ask('hello there', 6), stream: true }))
        parts.push(chunk.message.content);
    })().then(
      () => 'complete',
      (error: unknown) => error,
    );
    sim.setFault(undefined);
    if (outcome === 'complete') expect(parts.filter(Boolean)).toHaveLength(6);
    else expect(outcome).toBeInstanceOf(OllamaUnavailableError);
    expect(queue.stats().running).toBe(0);
  });

  it('answers repeated deterministic requests and embeddings from the cache', async () => {
    const store = new Map<string, unknown>();
    const cache: CacheLike<unknown> = {
      get: async (key) => store.get(key),
      set: async (key, value) => store.set(key, value),
    };
    const { sim, queue } = await setup({ cache });
    const request = { ...ask('define osmosis'), options: { num_predict: 4, temperature: 0 } };
    const first = await queue.chat(request);
    const sent = sim.stats().requests;
    expect(await queue.chat(request)).toEqual(first);
    await queue.embed({ model: 'nomic-embed-text', input: 'lesson one' });
    await queue.embed({ model: 'nomic-embed-text', input: 'lesson one' });
    expect(sim.stats().requests).toBe(sent + 1);
    expect(queue.stats().cacheHits).toBe(2);
  });

  it('sends identical deterministic requests in flight once and gives every caller the answer', async () => {
    const { sim, queue } = await setup();
    const request = { ...ask('same question'), options: { num_predict: 4, seed: 7 } };
    const sent = sim.stats().requests;
    const answers = await Promise.all([queue.chat(request), queue.chat(request), queue.chat(request)]);
    expect(new Set(answers.map((a) => a.message.content)).size).toBe(1);
    expect(sim.stats().requests).toBe(sent + 1);
    expect(queue.stats().dedupeJoins).toBe(2);
  });

  it('holds a global limiter lease while a request runs and returns it afterwards', async () => {
    let held = 0;
    let maxHeld = 0;
    const limiter: Pick<SlotLimiter, 'acquire'> = {
      async acquire() {
        held++;
        maxHeld = Math.max(maxHeld, held);
        return { release: async () => void held-- };
      },
    };
    const { queue } = await setup({ limiter, concurrency: 2 });
    await Promise.all([1, 2, 3].map((i) => queue.chat(ask(`q${i}`))));
    expect(held).toBe(0);
    expect(maxHeld).toBe(2);
  });

  it('validates options at construction', () => {
    expect(() => createAiQueue({ concurrency: 0 })).toThrow('Expected `concurrency` to be a finite number >= 1, got 0');
    // @ts-expect-error: a value outside the union, as plain JavaScript or a config file could pass
    expect(() => createAiQueue({ whenAllHostsDown: 'retry' })).toThrow(
      "Expected `whenAllHostsDown` to be 'wait' or 'fail'",
    );
    expect(() => createAiQueue({ maxQueued: { interactive: -1 } })).toThrow('`maxQueued.interactive`');
  });
});

describe('stats()', () => {
  it('reports per class queue depth, wait and first-token percentiles, tokens/s, counters, models and hosts', async () => {
    const { sim, queue } = await setup({ concurrency: 1 });
    const stream = queue.chat({ ...ask('streamed', 6), stream: true }, { priority: 'interactive' });
    const queued = queue.chat(ask('plain', 3), { priority: 'background' });
    expect(queue.stats().classes.background.queued).toBe(1);
    await drain(await stream);
    await queued;
    const stats = queue.stats();
    expect(stats.classes.interactive).toMatchObject({ queued: 0, completed: 1, failed: 0, cancelled: 0 });
    expect(stats.classes.interactive.ttftMs.p50).toBeGreaterThanOrEqual(0);
    expect(Object.keys(stats.classes.background.waitMs)).toEqual(['p50', 'p95', 'p99']);
    // The simulator generates llama3.2:1b at 15 tokens/s of model time and reports that in eval_duration.
    expect(stats.classes.interactive.tokensPerSec).toBe(15);
    expect(stats.classes.background.completed).toBe(1);
    expect(stats.hosts[sim.host]).toMatchObject({ inFlight: 0, completed: 3, failures: 0 });
    expect(stats.models).toMatchObject({ loads: 1, swaps: 0, loaded: 1 });
    const leaves = (value: unknown): unknown[] =>
      typeof value === 'object' && value !== null ? Object.values(value).flatMap(leaves) : [value];
    expect(leaves(JSON.parse(JSON.stringify(stats))).every((v) => typeof v === 'number')).toBe(true);
  });
});
