import { OllamaUnavailableError } from '@pilms/ai-queue';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/index.js';
import { defaultProfiles } from '../../../test/support/ollama-simulator/index.js';
import { ask, model, queueFor, simulator, tutor } from './helpers.js';

const conversation = (first: string, turn: number) => ({
  model,
  messages: [
    { role: 'user' as const, content: first },
    ...Array.from({ length: turn }, (_, i) => ({ role: 'user' as const, content: `follow-up ${i}` })),
  ],
  options: { num_predict: 3 },
});

describe('several hosts', () => {
  it('sends a conversation back to the host that served it, and new ones to the least-loaded host', async () => {
    const [a, b] = [await simulator(), await simulator()];
    const queue = queueFor({ hosts: [a.host, b.host], concurrency: 4, concurrencyPerHost: 2 });
    // Started together: the first lands on a, the second on b (a is busier by then).
    await Promise.all([queue.chat(conversation('photosynthesis?', 0)), queue.chat(conversation('gravity?', 0))]);
    expect([a.stats().requests, b.stats().requests]).toEqual([1, 1]);
    // One at a time both hosts are idle; without affinity every follow-up would go to the first host.
    for (let turn = 1; turn <= 3; turn++) {
      await queue.chat(conversation('gravity?', turn));
      await queue.chat(conversation('photosynthesis?', turn));
    }
    expect([a.stats().requests, b.stats().requests]).toEqual([4, 4]);
    expect(queue.stats().hosts[b.host]).toMatchObject({ completed: 4, inFlight: 0, up: 1 });
  });

  it('routes a request only to a host that has its model installed', async () => {
    const tutorOnly = { [tutor]: defaultProfiles[tutor] as (typeof defaultProfiles)[string] };
    const [a, b] = [await simulator({ profiles: tutorOnly }), await simulator()];
    const queue = queueFor({ hosts: [a.host, b.host], concurrency: 4, concurrencyPerHost: 2, pollIntervalMs: 5 });
    await expect.poll(() => queue.stats().hosts[a.host]?.installedModels).toBe(1);
    await Promise.all([1, 2, 3].map((i) => queue.chat(ask(`q${i}`, 2), { user: `u${i}` })));
    expect(a.stats().requests).toBe(0);
    expect(b.stats().requests).toBe(3);
  });

  it('loses no request when one host goes away mid-run: they fail over to the other host', async () => {
    const [a, b] = [await simulator({ timeScale: 20 }), await simulator({ timeScale: 20 })];
    const queue = queueFor({ hosts: [a.host, b.host], concurrency: 2, concurrencyPerHost: 1, pollIntervalMs: 50 });
    const answers = Array.from({ length: 6 }, (_, i) => queue.chat(ask(`q${i}`, 20), { user: `u${i}` }));
    await expect.poll(() => a.stats().running).toBe(1);
    await a.close();
    const replies = await Promise.all(answers);
    expect(replies.every((reply) => reply.done)).toBe(true);
    expect(queue.stats().hosts[a.host]).toMatchObject({ up: 0, inFlight: 0 });
    expect(queue.stats()).toMatchObject({ completed: 6, failed: 0, running: 0 });
    expect(b.stats().completed).toBeGreaterThanOrEqual(5);
  });

  it('keeps requests queued while every host is down, runs them when one returns, fails them at their deadline', async () => {
    const port = await freePort();
    const first = await simulator({ port });
    const queue = queueFor({ host: first.host, retries: 0, pollIntervalMs: 20 });
    await first.close();
    // Whether the first health poll or this request finds the host gone first, the request fails the same way.
    await expect(queue.chat(ask('while down'), { deadline: Date.now() + 2_000 })).rejects.toBeInstanceOf(
      OllamaUnavailableError,
    );
    expect(queue.stats().hosts[first.host]?.up).toBe(0);
    const late = queue.chat(ask('deadline'), { deadline: Date.now() + 100 });
    const patient = queue.chat(ask('no deadline'));
    await expect(late).rejects.toBeInstanceOf(OllamaUnavailableError);
    expect(queue.stats().queued.normal).toBe(1);
    const back = await simulator({ port });
    expect((await patient).done).toBe(true);
    expect(back.stats().requests).toBe(1);
    expect(queue.stats().hosts[first.host]?.up).toBe(1);
  });

  it("with whenAllHostsDown 'fail', rejects new requests at once while every host is down, and serves once one is back", async () => {
    const port = await freePort();
    const first = await simulator({ port });
    const queue = queueFor({ host: first.host, retries: 0, pollIntervalMs: 20, whenAllHostsDown: 'fail' });
    await first.close();
    await expect(queue.chat(ask('finds it gone'))).rejects.toBeInstanceOf(OllamaUnavailableError);
    expect(queue.stats().hosts[first.host]?.up).toBe(0);
    // No deadline, yet it is neither queued nor left waiting.
    await expect(queue.chat(ask('while down'))).rejects.toBeInstanceOf(OllamaUnavailableError);
    expect(queue.stats().queued.normal).toBe(0);
    const back = await simulator({ port });
    while (queue.stats().hosts[first.host]?.up !== 1) await new Promise((r) => setTimeout(r, 20));
    expect((await queue.chat(ask('back'))).done).toBe(true);
    expect(back.stats().requests).toBe(1);
  });
});
