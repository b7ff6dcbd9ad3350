import { type AiQueue, createAiQueue } from '@pilms/ai-queue';
import { Ollama } from 'ollama';

/** The message shown whenever Ollama cannot answer; everything else in the LMS keeps working. */
export const offlineMessage = 'the AI tutor is offline';

/** Options of {@link createTutor}. */
export interface TutorOptions {
  /** Ollama base URL. */
  host: string;
  /** Model name. */
  model: string;
  /** `true` schedules through `@pilms/ai-queue`; `false` (PILMS_PERF=off) calls Ollama directly. */
  queued: boolean;
}

/** A question about one lesson. */
export interface TutorQuestion {
  lessonTitle: string;
  lessonText: string;
  question: string;
  user: string;
  signal: AbortSignal;
}

/** Streams answers of the per-lesson AI tutor with the lesson text as context. */
export function createTutor(options: TutorOptions) {
  const direct = new Ollama({ host: options.host });
  // While Ollama is down the LMS says at once that the AI is offline (the grading sweep retries later), rather than
  // holding students' questions until it returns.
  const queue: AiQueue | undefined = options.queued
    ? createAiQueue({ host: options.host, concurrency: 2, whenAllHostsDown: 'fail' })
    : undefined;

  async function* ask(input: TutorQuestion): AsyncGenerator<string> {
    const messages = [
      {
        role: 'system',
        content: `You are a patient tutor. Answer briefly, using this lesson "${input.lessonTitle}":\n\n${input.lessonText}`,
      },
      { role: 'user', content: input.question },
    ];
    const request = { model: options.model, messages, stream: true as const };
    const stream = queue
      ? await queue.chat(request, { priority: 'interactive', user: input.user, signal: input.signal })
      : await direct.chat(request);
    for await (const chunk of stream) {
      if (input.signal.aborted) return;
      yield chunk.message.content;
    }
  }

  /**
   * One deterministic, non-streamed JSON answer for background work such as grading: the same queue as the
   * tutor at `background` priority, so students waiting for the tutor always go first.
   */
  async function complete(input: {
    system: string;
    prompt: string;
    user: string;
    signal: AbortSignal;
  }): Promise<string> {
    const messages = [
      { role: 'system', content: input.system },
      { role: 'user', content: input.prompt },
    ];
    const request = {
      model: options.model,
      messages,
      format: 'json',
      options: { temperature: 0 },
      stream: false as const,
    };
    const reply = queue
      ? await queue.chat(request, { priority: 'background', user: input.user, signal: input.signal })
      : await direct.chat(request);
    return reply.message.content;
  }

  return {
    ask,
    complete,
    stats(): object {
      return queue ? queue.stats() : { queue: 'off' };
    },
  };
}

/** The tutor returned by {@link createTutor}. */
export type Tutor = ReturnType<typeof createTutor>;
