import { describe, expect, it } from 'vitest';
import { defaultProfiles } from '../../../test/support/ollama-simulator/index.js';
import { ask, drain, model, queueFor, setup, simulator, tutor } from './helpers.js';

const track = (order: string[], name: string, p: Promise<unknown>) => p.then(() => order.push(name));

describe('model affinity', () => {
  it('groups same-class requests by the loaded model, so the server swaps models fewer times', async () => {
    const swaps: number[] = [];
    for (const maxAffinityWaitMs of [60_000, 0]) {
      const { sim, queue } = await setup({ concurrency: 1, maxAffinityWaitMs });
      const blocker = queue.chat(ask('first', 20));
      const mixed = Array.from({ length: 8 }, (_, i) =>
        queue.chat(ask(`q${i}`, 2, i % 2 === 0 ? tutor : model), { user: `student${i}` }),
      );
      await Promise.all([blocker, ...mixed]);
      swaps.push(sim.stats().swaps);
    }
    const [grouped, alternating] = swaps as [number, number];
    // Grouped: the loaded model's 4 requests, then one swap for the other 4. Alternating swaps on almost every request.
    expect(grouped).toBe(1);
    expect(alternating).toBeGreaterThanOrEqual(6);
  });

  it('passes over a request for an unloaded model for at most maxAffinityWaitMs', async () => {
    const orders: string[][] = [];
    for (const maxAffinityWaitMs of [60_000, 1]) {
      const { queue } = await setup({ concurrency: 1, maxAffinityWaitMs });
      const order: string[] = [];
      const blocker = track(order, 'blocker', queue.chat(ask('first', 20)));
      const other = track(order, 'other', queue.chat(ask('other model', 2, tutor), { user: 'b' }));
      const same = [1, 2, 3].map((i) => track(order, `same${i}`, queue.chat(ask(`s${i}`, 2), { user: `a${i}` })));
      await Promise.all([blocker, other, ...same]);
      orders.push(order);
    }
    expect(orders[0]).toEqual(['blocker', 'same1', 'same2', 'same3', 'other']);
    // Once its bound has passed, the request waits only for the running one, not for the queued same-model ones.
    expect(orders[1]).toEqual(['blocker', 'other', 'same1', 'same2', 'same3']);
  });

  it('switches to the interactive model once the running background requests finish, starting no new ones', async () => {
    const { queue } = await setup({ concurrency: 2 }, 20, { parallel: 2 });
    const started: string[] = [];
    const run = async (name: string, kind: 'background' | 'interactive') => {
      const stream = await queue.chat(
        { ...ask(name, kind === 'background' ? 30 : 2, kind === 'background' ? model : tutor), stream: true },
        { priority: kind, user: kind === 'background' ? 'teacher' : name },
      );
      started.push(name);
      await drain(stream);
    };
    // Queued in this order at once: the first two gradings take both slots before the students arrive.
    const grading = [1, 2, 3, 4, 5].map((i) => run(`grade${i}`, 'background'));
    const students = [run('student1', 'interactive'), run('student2', 'interactive')];
    await Promise.all([...grading, ...students]);
    expect(started.slice(0, 2).sort()).toEqual(['grade1', 'grade2']);
    expect(started.slice(2, 4).sort()).toEqual(['student1', 'student2']);
    expect(queue.stats().models.swaps).toBe(2);
  });

  it('lets an interactive request wait up to urgentAffinityWaitMs while background work on the loaded model goes on', async () => {
    const { queue } = await setup({ concurrency: 1, urgentAffinityWaitMs: 60_000 });
    const order: string[] = [];
    const grade = (name: string) =>
      track(order, name, queue.chat(ask(name, 10), { priority: 'background', user: 't' }));
    const grading = [grade('grade1'), grade('grade2'), grade('grade3')];
    const student = track(order, 'student', queue.chat(ask('help', 2, tutor), { priority: 'interactive' }));
    await Promise.all([...grading, student]);
    expect(order).toEqual(['grade1', 'grade2', 'grade3', 'student']);
  });

  it('keeps two models loaded at once only when both fit the memory budget', async () => {
    const size = (name: string) => defaultProfiles[name]?.sizeBytes ?? 0;
    const overlaps: boolean[] = [];
    for (const memoryBudgetBytes of [size(model) + size(tutor), size(model) + size(tutor) - 1]) {
      const sim = await simulator({ parallel: 2, maxLoadedModels: 2 });
      const inFlight = new Map<string, number>();
      let overlapped = false;
      // Watches which models have a request on the wire at once, at the HTTP level.
      const watching: typeof fetch = async (input, init) => {
        const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as { model?: string }) : {};
        const name = body.model;
        if (!name) return fetch(input, init);
        inFlight.set(name, (inFlight.get(name) ?? 0) + 1);
        if ([...inFlight.values()].filter((n) => n > 0).length > 1) overlapped = true;
        try {
          const response = await fetch(input, init);
          await response.clone().arrayBuffer();
          return response;
        } finally {
          inFlight.set(name, (inFlight.get(name) ?? 1) - 1);
        }
      };
      const queue = queueFor({
        host: sim.host,
        concurrency: 2,
        maxLoadedModels: 2,
        memoryBudgetBytes,
        modelSizes: { [model]: size(model), [tutor]: size(tutor) },
        fetch: watching,
      });
      await Promise.all(
        [model, tutor, model, tutor].map((name, i) => queue.chat(ask(`q${i}`, 8, name), { user: `u${i}` })),
      );
      overlaps.push(overlapped);
    }
    expect(overlaps).toEqual([true, false]);
  });

  it('learns from /api/ps which model another client loaded, and counts the swap its own request causes', async () => {
    const sim = await simulator();
    await queueFor({ host: sim.host }).generate({ model: tutor, prompt: '' });
    const queue = queueFor({ host: sim.host, pollIntervalMs: 5 });
    await expect.poll(() => queue.stats().models.loaded).toBe(1);
    await queue.chat(ask('a', 2, model));
    expect(queue.stats().models).toMatchObject({ loads: 1, swaps: 1, reportedLoads: 1 });
    expect(sim.stats().swaps).toBe(1);
  });
});
