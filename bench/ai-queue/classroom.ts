import { createAiQueue } from '@pilms/ai-queue';
import { Ollama } from 'ollama';
import { startOllamaSimulator } from '../../test/support/ollama-simulator/index.js';

/** Scenario sizes in model time (ms); the simulator runs `timeScale` times faster and figures are scaled back. */
export interface Classroom {
  students: number;
  gradings: number;
  thinkMs: [number, number];
  /** Every n-th student chat is abandoned (tab closed) after `abandonAfterMs` of waiting. */
  abandonEvery: number;
  abandonAfterMs: number;
  capMs: number;
  timeScale: number;
}

export type Contender = 'direct ollama (FIFO)' | '@pilms/ai-queue';

/** Ask for a chat stream; resolves to the first chunk's arrival or rejects on abort. */
type Send = (kind: 'chat' | 'grade', user: string, signal: AbortSignal) => Promise<AsyncIterable<unknown>>;

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const tutor = 'qwen2.5:1.5b';
const grader = 'llama3.2:1b';
const chatRequest = (user: string) => ({
  model: tutor,
  messages: [{ role: 'user' as const, content: `${user}: why is the sky blue?` }],
  options: { num_predict: 20 },
});
const gradeRequest = (user: string) => ({
  model: grader,
  prompt: `Grade this answer: ${user} photosynthesis makes sugar`,
  options: { num_predict: 12 },
});

export async function runClassroom(contender: Contender, c: Classroom) {
  const sim = await startOllamaSimulator({ timeScale: c.timeScale, parallel: 2, maxLoadedModels: 1 });
  // Aging is wall-clock time, so it is scaled like the model's time.
  const queue = createAiQueue({
    host: sim.host,
    concurrency: 2,
    agingMs: 30_000 / c.timeScale,
    maxQueued: { background: 500 },
  });
  const send: Send =
    contender === '@pilms/ai-queue'
      ? (kind, user, signal) =>
          kind === 'chat'
            ? queue.chat({ ...chatRequest(user), stream: true }, { priority: 'interactive', user, signal })
            : queue.generate(
                { ...gradeRequest(user), stream: true },
                { priority: 'background', user: 'teacher', signal },
              )
      : // The naive app calls Ollama directly and does not wire the closed tab to the request.
        (kind, user) => {
          const client = new Ollama({ host: sim.host });
          return kind === 'chat'
            ? client.chat({ ...chatRequest(user), stream: true })
            : client.generate({ ...gradeRequest(user), stream: true });
        };
  const scale = c.timeScale;
  const start = Date.now();
  const modelNow = () => (Date.now() - start) * scale;
  const ttft: number[] = [];
  let gradingDoneMs = Number.NaN;
  let wastedTokens = 0;
  let chats = 0;
  let stop = false;

  const consume = async (stream: AsyncIterable<unknown>, onFirst: () => void) => {
    let first = true;
    for await (const _ of stream) {
      if (first) onFirst();
      first = false;
    }
  };

  const grading = (async () => {
    await Promise.all(
      Array.from({ length: c.gradings }, (_, i) =>
        send('grade', `answer${i}`, new AbortController().signal).then((s) => consume(s, () => {})),
      ),
    );
    gradingDoneMs = modelNow();
  })();

  const student = async (id: number) => {
    const random = seeded(id + 1);
    while (!stop && modelNow() < c.capMs) {
      await new Promise((r) => setTimeout(r, (c.thinkMs[0] + random() * (c.thinkMs[1] - c.thinkMs[0])) / scale));
      if (stop) return;
      chats++;
      const abandon = chats % c.abandonEvery === 0;
      const controller = new AbortController();
      const sent = Date.now();
      let gotFirst = false;
      const timer = abandon ? setTimeout(() => controller.abort(), c.abandonAfterMs / scale) : undefined;
      try {
        await consume(await send('chat', `student${id}`, controller.signal), () => {
          gotFirst = true;
          if (abandon && controller.signal.aborted) wastedTokens++;
          else if (!abandon) ttft.push((Date.now() - sent) * scale);
        });
      } catch {
        // abandoned chats end in a cancellation
      }
      clearTimeout(timer);
      if (abandon && controller.signal.aborted && gotFirst) wastedTokens++;
    }
  };
  const students = Array.from({ length: c.students }, (_, i) => student(i));
  await grading;
  stop = true;
  await Promise.all(students);
  const stats = sim.stats();
  await sim.close();
  return {
    ttft,
    gradingDoneMs,
    swaps: stats.swaps,
    chats,
    abandonedServed: wastedTokens,
    serverAborted: stats.aborted,
  };
}
