const brand = Symbol.for('@pilms/ai-queue/error');

/**
 * Base class of every error thrown by @pilms/ai-queue. Each subclass has a stable `code`;
 * check with `PilmsAiQueueError.isInstance(err)`, which also works across two installed copies.
 */
export class PilmsAiQueueError extends Error {
  readonly [brand] = true;
  constructor(
    message: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  static isInstance(value: unknown): value is PilmsAiQueueError {
    return typeof value === 'object' && value !== null && brand in value;
  }
}

/** The class queue is full, or the estimated wait exceeds the request's deadline. Retry after `retryAfterMs`. */
export class QueueFullError extends PilmsAiQueueError {
  constructor(
    readonly priority: string,
    readonly queued: number,
    readonly retryAfterMs: number,
  ) {
    super(
      `The ${priority} queue cannot take this request (${queued} queued); retry after ${retryAfterMs} ms or raise \`maxQueued\``,
      'QUEUE_FULL',
    );
  }
}

/** The request was cancelled by its signal or its deadline, while queued or while running; its slot is free. */
export class RequestCancelledError extends PilmsAiQueueError {
  constructor(
    readonly phase: 'queued' | 'running',
    options?: ErrorOptions,
  ) {
    super(`The request was cancelled while ${phase}; nothing is left running for it`, 'CANCELLED', options);
  }
}

/** Ollama does not have the model. `available` lists the models it has. */
export class ModelNotFoundError extends PilmsAiQueueError {
  constructor(
    readonly model: string,
    readonly available: string[],
    options?: ErrorOptions,
  ) {
    super(
      `Model "${model}" is not installed; available: ${available.join(', ') || 'none'}. Run \`ollama pull ${model}\``,
      'MODEL_NOT_FOUND',
      options,
    );
  }
}

/** Ollama could not be reached, broke the stream, or answered busy after all retries. */
export class OllamaUnavailableError extends PilmsAiQueueError {
  constructor(
    readonly host: string,
    options?: ErrorOptions,
  ) {
    super(
      `Ollama at ${host} failed or is unreachable; check that it runs, or add another host`,
      'OLLAMA_UNAVAILABLE',
      options,
    );
  }
}

/** Every error class of the core by code. */
export const errors = {
  QUEUE_FULL: QueueFullError,
  CANCELLED: RequestCancelledError,
  MODEL_NOT_FOUND: ModelNotFoundError,
  OLLAMA_UNAVAILABLE: OllamaUnavailableError,
};
