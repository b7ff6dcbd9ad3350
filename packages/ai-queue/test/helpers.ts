import { type AiQueue, type AiQueueOptions, createAiQueue } from '@pilms/ai-queue';
import { afterEach } from 'vitest';
import {
  type OllamaSimulator,
  type OllamaSimulatorOptions,
  startOllamaSimulator,
} from '../../../test/support/ollama-simulator/index.js';

export const model = 'llama3.2:1b';
export const tutor = 'qwen2.5:1.5b';

const sims: OllamaSimulator[] = [];
const queues: AiQueue[] = [];

afterEach(async () => {
  await Promise.all(queues.splice(0).map((queue) => queue.close()));
  await Promise.all(sims.splice(0).map((sim) => sim.close()));
});

/** Starts a simulator closed after the test. */
export async function simulator(options: OllamaSimulatorOptions = {}): Promise<OllamaSimulator> {
  const sim = await startOllamaSimulator({ timeScale: 200, ...options });
  sims.push(sim);
  return sim;
}

/** A queue closed after the test, retrying without delay. */
export function queueFor(options: AiQueueOptions): AiQueue {
  const queue = createAiQueue({ retryBaseMs: 1, ...options });
  queues.push(queue);
  return queue;
}

/** A simulator and a queue in front of it, with `model` loaded once so tests measure scheduling, not the first load. */
export async function setup(
  options: Omit<AiQueueOptions, 'host'> = {},
  timeScale = 200,
  simOptions: OllamaSimulatorOptions = {},
) {
  const sim = await simulator({ timeScale, ...simOptions });
  const queue = queueFor({ host: sim.host, ...options });
  await queue.generate({ model, prompt: '' });
  return { sim, queue };
}

/** A short chat request. */
export const ask = (content: string, predict = 4, name = model) => ({
  model: name,
  messages: [{ role: 'user' as const, content }],
  options: { num_predict: predict },
});

/** Reads a stream to its end. */
export async function drain(stream: AsyncIterable<unknown>): Promise<number> {
  let chunks = 0;
  for await (const _ of stream) chunks++;
  return chunks;
}
