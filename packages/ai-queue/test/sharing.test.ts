import { type CacheLike, RequestCancelledError } from '@pilms/ai-queue';
import { Ollama } from 'ollama';
import { describe, expect, it } from 'vitest';
import { ask, queueFor, setup, simulator } from './helpers.js';

const deterministic = (content: string, predict: number) => ({
  ...ask(content, predict),
  options: { num_predict: predict, temperature: 0 },
  stream: true as const,
});

async function collect(stream: AsyncIterable<{ message: { content: string } }>, onChunk?: (index: number) => void) {
  const parts: string[] = [];
  for await (const chunk of stream) {
    parts.push(chunk.message.content);
    onChunk?.(parts.length);
  }
  return parts.join('');
}

describe('in-flight dedupe of streams', () => {
  it('gives a later identical stream the chunks already produced, then the live ones, from one generation', async () => {
    const { sim, queue } = await setup({}, 20);
    const sent = sim.stats().requests;
    const request = deterministic('explain tides', 12);
    const first = await queue.chat(request);
    let second: Promise<string> | undefined;
    const firstText = await collect(first, (n) => {
      if (n === 4) second = queue.chat(request).then((s) => collect(s));
    });
    expect(second).toBeDefined();
    expect(await second).toBe(firstText);
    expect(firstText.split(' ').length).toBeGreaterThanOrEqual(12);
    expect(sim.stats().requests).toBe(sent + 1);
    expect(queue.stats().dedupeJoins).toBe(1);
  });

  it('keeps generating for the listeners that stay when one leaves, and stops when the last one leaves', async () => {
    const { sim, queue } = await setup({}, 20);
    const leaving = new AbortController();
    const request = deterministic('explain seasons', 200);
    const stays = collect(await queue.chat(request));
    const leaves = collect(await queue.chat(request, { signal: leaving.signal }), (n) => {
      if (n === 2) leaving.abort();
    });
    await expect(leaves).rejects.toBeInstanceOf(RequestCancelledError);
    // The listener that stayed got the whole answer, as a separate generation (`cache: false`) gives it.
    expect(await stays).toBe(await collect(await queue.chat(request, { cache: false })));
    expect(sim.stats().aborted).toBe(0);

    const all = [new AbortController(), new AbortController()];
    const streams = await Promise.all(all.map((c) => queue.chat(request, { signal: c.signal })));
    const reads = streams.map((stream, i) =>
      collect(stream, (n) => {
        if (n === 2) all[i]?.abort();
      }),
    );
    await Promise.allSettled(reads);
    await expect.poll(() => sim.stats().aborted).toBe(1);
    expect(queue.stats().running).toBe(0);
  });
});

describe('embedding cache', () => {
  it('sends only the texts it has not embedded before, and answers like Ollama', async () => {
    const sim = await simulator();
    const bodies: { input: string[] }[] = [];
    const recording: typeof fetch = (input, init) => {
      if (String(input).endsWith('/api/embed')) bodies.push(JSON.parse(String(init?.body)));
      return fetch(input, init);
    };
    const store = new Map<string, unknown>();
    const cache: CacheLike<unknown> = { get: async (k) => store.get(k), set: async (k, v) => store.set(k, v) };
    const queue = queueFor({ host: sim.host, cache, fetch: recording });
    const embedder = 'nomic-embed-text';
    await queue.embed({ model: embedder, input: ['cells', 'atoms', 'tides'] });
    const texts = ['atoms', 'volcanoes', 'cells', 'rivers', 'tides'];
    const reply = await queue.embed({ model: embedder, input: texts });
    expect(bodies.map((b) => b.input)).toEqual([
      ['cells', 'atoms', 'tides'],
      ['volcanoes', 'rivers'],
    ]);
    const direct = await new Ollama({ host: sim.host }).embed({ model: embedder, input: texts });
    expect(reply.embeddings).toEqual(direct.embeddings);
    expect(queue.stats().cacheHits).toBe(3);
  });
});
