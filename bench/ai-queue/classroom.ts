import { createAiQueue } from '@pilms/ai-queue';
import { Ollama } from 'ollama';
import { startOllamaSimulator } from '../../test/support/ollama-simulator/index.js';

/** Scenario sizes in model time (ms); the simulator runs `timeScale` times faster and figures are scaled back. */
export interface Classroom {
  students: number;
  gradings: number;
  /** Think time between two chats of one student, uniform in this range. */
  thinkMs: [number, number];
  /** Students send chats until this model time; the schedule is fixed in advance, identical for every contender. */
  horizonMs: number;
  /** Every n-th chat of the schedule is abandoned (tab closed) after `abandonAfterMs`. */
  abandonEvery: number;
  abandonAfterMs: number;
  timeScale: number;
  seed: number;
}

/** Direct ollama calls (no `queue`), or @pilms/ai-queue with these extra options (durations in model time). */
export interface Contender {
  name: string;
  queue?: { urgentAffinityWaitMs?: number };
}

/** A chat of the schedule: when (model time) and who. */
interface Arrival {
  at: number;
  student: number;
  abandon: boolean;
}

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * Open-loop arrivals: each student's first chat at a random time within one think time, then one per think time.
 * Drawn once from a seeded generator, so both contenders face the same chats at the same times whatever their speed.
 */
export function schedule(c: Classroom): Arrival[] {
  const random = seeded(c.seed);
  const think = () => c.thinkMs[0] + random() * (c.thinkMs[1] - c.thinkMs[0]);
  const arrivals: Omit<Arrival, 'abandon'>[] = [];
  for (let student = 0; student < c.students; student++)
    for (let at = random() * c.thinkMs[1]; at < c.horizonMs; at += think()) arrivals.push({ at, student });
  arrivals.sort((a, b) => a.at - b.at);
  return arrivals.map((a, i) => ({ ...a, abandon: (i + 1) % c.abandonEvery === 0 }));
}

const tutor = 'qwen2.5:1.5b';
const grader = 'llama3.2:1b';
const chatRequest = (student: number) => ({
  model: tutor,
  messages: [{ role: 'user' as const, content: `student${student}: why is the sky blue?` }],
  options: { num_predict: 20 },
  stream: true as const,
});
const gradeRequest = (i: number) => ({
  model: grader,
  prompt: `Grade this answer: answer${i} photosynthesis makes sugar`,
  options: { num_predict: 12 },
  stream: true as const,
});

type Send = (kind: 'chat' | 'grade', index: number, signal: AbortSignal) => Promise<AsyncIterable<unknown>>;

export async function runClassroom(contender: Contender, c: Classroom, arrivals: Arrival[]) {
  const sim = await startOllamaSimulator({ timeScale: c.timeScale, parallel: 2, maxLoadedModels: 1 });
  // Aging and the affinity bound are wall-clock times, so they are scaled like the model's time.
  const queue = createAiQueue({
    host: sim.host,
    concurrency: 2,
    agingMs: 30_000 / c.timeScale,
    maxAffinityWaitMs: 10_000 / c.timeScale,
    urgentAffinityWaitMs: (contender.queue?.urgentAffinityWaitMs ?? 0) / c.timeScale,
    pollIntervalMs: 5_000 / c.timeScale,
    maxQueued: { background: 500 },
  });
  const client = new Ollama({ host: sim.host });
  const send: Send = contender.queue
    ? (kind, i, signal) =>
        kind === 'chat'
          ? queue.chat(chatRequest(i), { priority: 'interactive', user: `student${i}`, signal })
          : queue.generate(gradeRequest(i), { priority: 'background', user: 'teacher', signal })
    : // The naive app calls Ollama directly and does not wire the closed tab to the request.
      (kind, i) => (kind === 'chat' ? client.chat(chatRequest(i)) : client.generate(gradeRequest(i)));
  const scale = c.timeScale;
  const start = Date.now();
  const modelNow = () => (Date.now() - start) * scale;
  const ttft: number[] = [];
  let wasted = 0;

  const grading = Promise.all(
    Array.from({ length: c.gradings }, async (_, i) => {
      for await (const _chunk of await send('grade', i, new AbortController().signal)) {
        // read to the end
      }
    }),
  ).then(modelNow);

  const chat = async (arrival: Arrival) => {
    const wait = arrival.at / scale - (Date.now() - start);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const controller = new AbortController();
    const timer = arrival.abandon ? setTimeout(() => controller.abort(), c.abandonAfterMs / scale) : undefined;
    let first = true;
    let afterLeaving = false;
    try {
      for await (const _ of await send('chat', arrival.student, controller.signal)) {
        if (first && !arrival.abandon) ttft.push(modelNow() - arrival.at);
        first = false;
        if (controller.signal.aborted) afterLeaving = true;
      }
    } catch {
      // abandoned chats end in a cancellation with the queue
    }
    clearTimeout(timer);
    if (afterLeaving) wasted++;
  };
  const chats = Promise.all(arrivals.map(chat)).then(modelNow);
  const [gradingDoneMs, allDoneMs] = await Promise.all([grading, chats]);
  const stats = sim.stats();
  const queueStats = queue.stats();
  await queue.close();
  await sim.close();
  return {
    ttft,
    gradingDoneMs,
    allDoneMs: Math.max(gradingDoneMs, allDoneMs),
    swaps: stats.swaps,
    chats: arrivals.length,
    wasted,
    serverAborted: stats.aborted,
    queueStats,
  };
}
