import { Ollama } from 'ollama';
import { afterEach, describe, expect, it } from 'vitest';
import { type OllamaSimulator, startOllamaSimulator } from './index.js';

const sims: OllamaSimulator[] = [];
async function start(options: Parameters<typeof startOllamaSimulator>[0] = {}) {
  const sim = await startOllamaSimulator({ timeScale: 200, ...options });
  sims.push(sim);
  return { sim, client: new Ollama({ host: sim.host }) };
}

function isJson(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

afterEach(async () => {
  await Promise.all(sims.splice(0).map((sim) => sim.close()));
});

describe('Ollama simulator', () => {
  it('answers a non-streamed chat with Ollama fields and unscaled durations', async () => {
    const { client } = await start();
    const reply = await client.chat({
      model: 'qwen2.5:1.5b',
      messages: [{ role: 'user', content: 'explain photosynthesis' }],
      options: { num_predict: 12 },
    });
    expect(reply.message.role).toBe('assistant');
    expect(reply.message.content.startsWith('explain photosynthesis')).toBe(true);
    expect(reply.eval_count).toBe(12);
    expect(reply.done_reason).toBe('length');
    // 12 tokens at 12 tok/s is one second of model time, whatever the time scale.
    expect(reply.eval_duration).toBe(1e9);
    expect(reply.load_duration).toBe(3e9);
  });

  it('streams NDJSON generate chunks that join into the same deterministic text', async () => {
    const { client } = await start();
    const request = { model: 'llama3.2:1b', prompt: 'hello class', options: { num_predict: 6, seed: 3 } };
    const parts: string[] = [];
    for await (const chunk of await client.generate({ ...request, stream: true })) parts.push(chunk.response ?? '');
    const whole = await client.generate({ ...request, stream: false });
    expect(parts.join('')).toBe(whole.response);
    expect(parts.filter(Boolean)).toHaveLength(6);
  });

  it("answers format 'json' with an object shaped like the prompt's example, cut off only by num_predict", async () => {
    const { client } = await start();
    const prompt = 'Reply like {"score": 8, "feedback": "Correct."} to: the answer is mitochondria.';
    const reply = await client.generate({ model: 'qwen2.5:1.5b', prompt, format: 'json', stream: false });
    const graded = JSON.parse(reply.response ?? '') as { score: number; feedback: string };
    expect(Object.keys(graded)).toEqual(['score', 'feedback']);
    expect(Number.isInteger(graded.score) && graded.score >= 0 && graded.score <= 10).toBe(true);
    expect(graded.feedback).toMatch(/^[A-Z][a-z ]+\.$/);
    expect(reply.done_reason).toBe('stop');
    const again = await client.generate({ model: 'qwen2.5:1.5b', prompt, format: 'json', stream: false });
    expect(again.response).toBe(reply.response);
    const cut = await client.generate({ model: 'qwen2.5:1.5b', prompt, format: 'json', options: { num_predict: 2 } });
    expect(isJson(cut.response ?? '')).toBe(false);
    expect(cut.done_reason).toBe('length');
  });

  it('rejects an unknown model with 404 naming it', async () => {
    const { client } = await start();
    await expect(client.chat({ model: 'nope:7b', messages: [] })).rejects.toMatchObject({
      status_code: 404,
      message: expect.stringContaining('model "nope:7b" not found'),
    });
  });

  it('lists pulled models, reports loaded ones in ps and embeds deterministically', async () => {
    const { client } = await start();
    const tags = await client.list();
    expect(tags.models.map((m) => m.name)).toContain('nomic-embed-text');
    const a = await client.embed({ model: 'nomic-embed-text', input: ['a', 'b'] });
    const b = await client.embed({ model: 'nomic-embed-text', input: 'a' });
    expect(a.embeddings).toHaveLength(2);
    expect(a.embeddings[0]).toEqual(b.embeddings[0]);
    expect((await client.ps()).models.map((m) => m.name)).toEqual(['nomic-embed-text']);
    expect((await client.version()).version).toMatch(/^\d/);
  });

  it('answers 503 when its own queue is full and still completes the queued requests', async () => {
    const { sim, client } = await start({ maxQueue: 1, timeScale: 20 });
    const chat = () =>
      client.chat({ model: 'llama3.2:1b', messages: [{ role: 'user', content: 'x' }], options: { num_predict: 2 } });
    const results = await Promise.allSettled([chat(), chat(), chat()]);
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected[0]).toMatchObject({ reason: { status_code: 503 } });
    expect(sim.stats().completed).toBe(results.length - rejected.length);
  });

  it('runs one model at a time, evicting an idle model to load another', async () => {
    const { sim, client } = await start();
    await client.generate({ model: 'llama3.2:1b', prompt: 'a', options: { num_predict: 1 } });
    await client.generate({ model: 'qwen2.5:1.5b', prompt: 'a', options: { num_predict: 1 } });
    expect(sim.stats()).toMatchObject({ loads: 2, unloads: 1, loaded: ['qwen2.5:1.5b'] });
  });

  it('frees the slot when a client aborts a stream', async () => {
    const { sim, client } = await start({ timeScale: 50 });
    const stream = await client.generate({
      model: 'llama3.2:1b',
      prompt: 'a',
      stream: true,
      options: { num_predict: 500 },
    });
    await expect(
      (async () => {
        for await (const _ of stream) stream.abort();
      })(),
    ).rejects.toThrow(/abort/i);
    await expect.poll(() => sim.stats().running).toBe(0);
    const next = await client.generate({ model: 'llama3.2:1b', prompt: 'b', options: { num_predict: 1 } });
    expect(next.done).toBe(true);
  });

  it('can break its stream with malformed NDJSON or by dying mid-stream', async () => {
    const { sim, client } = await start();
    const drain = async () => {
      for await (const _ of await client.generate({
        model: 'llama3.2:1b',
        prompt: 'a',
        stream: true,
        options: { num_predict: 5 },
      })) {
        // consume
      }
    };
    sim.setFault({ type: 'malformed' });
    // The official client skips unparsable lines with a warning, so read the raw body to see the broken line.
    const raw = await fetch(`${sim.host}/api/generate`, {
      method: 'POST',
      body: JSON.stringify({ model: 'llama3.2:1b', prompt: 'a', options: { num_predict: 3 } }),
    }).then((r) => r.text());
    const lines = raw.trim().split('\n');
    expect(lines.filter((line) => !isJson(line))).toHaveLength(1);
    sim.setFault({ type: 'die', afterChunks: 2 });
    await expect(drain()).rejects.toThrow();
    sim.setFault(undefined);
    await expect(drain()).resolves.toBeUndefined();
  });

  it('hangs without answering until the client gives up', async () => {
    const { sim } = await start();
    sim.setFault({ type: 'hang' });
    const client = new Ollama({
      host: sim.host,
      fetch: (url, init) => fetch(url, { ...init, signal: AbortSignal.timeout(100) }),
    });
    await expect(client.chat({ model: 'llama3.2:1b', messages: [] })).rejects.toThrow(/abort|timeout/i);
    await expect.poll(() => sim.stats().aborted).toBe(1);
  });
});
