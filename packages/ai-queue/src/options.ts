import { type Priority, priorities } from './scheduler.js';
import type { CacheLike } from './sharing.js';
import type { SlotLimiter } from './slot-limiter.js';

/** Options of {@link createAiQueue}. */
export interface AiQueueOptions {
  /** Ollama base URL, the single-host shorthand of `hosts`. Default `http://127.0.0.1:11434`. */
  host?: string;
  /** Several Ollama hosts (e.g. two boards); takes precedence over `host`. Default `[host]`. */
  hosts?: string[];
  /** fetch used by the ollama client. Default the global fetch. */
  fetch?: typeof fetch;
  /** Requests sent at once over all hosts; with one host match OLLAMA_NUM_PARALLEL. Default 2. */
  concurrency?: number;
  /** Requests sent to one host at once (its OLLAMA_NUM_PARALLEL). Default `concurrency`. */
  concurrencyPerHost?: number;
  /** Queued requests per priority class before `QueueFullError`. Default 200 each. */
  maxQueued?: Partial<Record<Priority, number>>;
  /** Waiting this long at the head of its user's queue promotes a request by one class. Default 30 000 ms. */
  agingMs?: number;
  /** Retries of a 503 or connection failure before a request is started, with doubling backoff. Default 3. */
  retries?: number;
  /** First retry backoff, ms. Default 200. */
  retryBaseMs?: number;
  /** Cache of deterministic (temperature 0 or fixed seed) non-streamed answers and embeddings. Default none. */
  cache?: CacheLike<unknown>;
  /** TTL of cached answers, ms. Default 1 hour. */
  cacheTtlMs?: number;
  /**
   * Slots background work may not take while interactive or normal requests wait (at most `concurrency - 1`), so a
   * student's first token never waits behind a full board of grading. Default 0: with one resident model and
   * background work on another model, a reserved slot makes the two models alternate (measured: 561 swaps in the
   * classroom benchmark), so reserve only when both classes use the same model or the server holds both models.
   */
  reservedSlots?: number;
  /** Global limiter across processes, taken after the local slot. Default none (this process only). */
  limiter?: Pick<SlotLimiter, 'acquire'>;
  /**
   * Longest time a request for a model that is not loaded may be passed over in favour of same-class requests for
   * the loaded model (grouping them avoids swaps). Requests of a more urgent class switch models at once: running
   * requests on the loaded model finish, no new ones start. Default 10 000 ms.
   */
  maxAffinityWaitMs?: number;
  /**
   * Longest time a request of a more urgent class may wait for a model switch while less urgent work for the loaded
   * model goes on. Default 0: switch at once (running requests finish, no new ones start). A few seconds batch
   * interactive requests across one switch, trading first-token time for fewer swaps.
   */
  urgentAffinityWaitMs?: number;
  /** Models the host keeps loaded at once (OLLAMA_MAX_LOADED_MODELS). Default 1. */
  maxLoadedModels?: number;
  /**
   * Memory the loaded models may use together, bytes (sizes from `/api/ps`, `/api/tags` or `modelSizes`).
   * Default no limit beyond `maxLoadedModels`.
   */
  memoryBudgetBytes?: number;
  /** Resident size per model, bytes, for models Ollama has not reported yet. Default none. */
  modelSizes?: Record<string, number>;
  /**
   * How often each host's health (`/api/version`) and loaded models (`/api/ps`) are polled; `/api/ps` is also read
   * after each request. A host that fails is marked down and re-probed sooner, from `retryBaseMs` doubling up to this.
   * Default 5 000 ms.
   */
  pollIntervalMs?: number;
  /** Conversations whose last host is remembered for KV-cache affinity. Default 10 000. */
  maxConversations?: number;
  /**
   * A new request while every host is marked down: `'wait'` queues it until a host is back or its deadline passes;
   * `'fail'` rejects it at once with `OllamaUnavailableError`, for apps that would rather say "the AI is offline"
   * and retry later. Default `'wait'`.
   */
  whenAllHostsDown?: 'wait' | 'fail';
}

/** Per-request options. */
export interface RequestOptions {
  /** Priority class. Default `normal`. */
  priority?: Priority;
  /** Fair-share key. Default `anonymous`. */
  user?: string;
  /** Aborts the request while queued or running (wire the HTTP request's `close` to it). */
  signal?: AbortSignal;
  /** Absolute deadline, epoch ms: cancels the request when reached and rejects it up front when the wait would exceed it. */
  deadline?: number;
  /** `false` bypasses the cache for this request. Default true. */
  cache?: boolean;
  /** Conversation key: requests go back to the host that served it last. Default for chat: the first user message. */
  conversation?: string;
}

/** Defaults of {@link createAiQueue}. */
export const defaults = {
  host: 'http://127.0.0.1:11434',
  concurrency: 2,
  maxQueued: 200,
  agingMs: 30_000,
  retries: 3,
  retryBaseMs: 200,
  reservedSlots: 0,
  cacheTtlMs: 3_600_000,
  maxAffinityWaitMs: 10_000,
  urgentAffinityWaitMs: 0,
  maxLoadedModels: 1,
  pollIntervalMs: 5_000,
  maxConversations: 10_000,
  whenAllHostsDown: 'wait',
} as const;

function assertNumber(name: string, value: number, min: number): void {
  if (!Number.isFinite(value) || value < min)
    throw new TypeError(`Expected \`${name}\` to be a finite number >= ${min}, got ${value}`);
}

/** Validates `options` and fills in the defaults; throws a TypeError naming the first bad option. */
export function resolveOptions(options: AiQueueOptions) {
  const fetchImpl = options.fetch ?? fetch;
  const concurrency = options.concurrency ?? defaults.concurrency;
  const agingMs = options.agingMs ?? defaults.agingMs;
  const retries = options.retries ?? defaults.retries;
  const retryBaseMs = options.retryBaseMs ?? defaults.retryBaseMs;
  const cacheTtlMs = options.cacheTtlMs ?? defaults.cacheTtlMs;
  const maxAffinityWaitMs = options.maxAffinityWaitMs ?? defaults.maxAffinityWaitMs;
  const urgentAffinityWaitMs = options.urgentAffinityWaitMs ?? defaults.urgentAffinityWaitMs;
  const maxLoadedModels = options.maxLoadedModels ?? defaults.maxLoadedModels;
  const pollIntervalMs = options.pollIntervalMs ?? defaults.pollIntervalMs;
  const concurrencyPerHost = options.concurrencyPerHost ?? concurrency;
  const maxConversations = options.maxConversations ?? defaults.maxConversations;
  const urls = options.hosts ?? [options.host ?? defaults.host];
  assertNumber('concurrency', concurrency, 1);
  assertNumber('agingMs', agingMs, 1);
  assertNumber('retries', retries, 0);
  assertNumber('retryBaseMs', retryBaseMs, 0);
  assertNumber('maxAffinityWaitMs', maxAffinityWaitMs, 0);
  assertNumber('urgentAffinityWaitMs', urgentAffinityWaitMs, 0);
  assertNumber('maxLoadedModels', maxLoadedModels, 1);
  assertNumber('pollIntervalMs', pollIntervalMs, 1);
  assertNumber('concurrencyPerHost', concurrencyPerHost, 1);
  assertNumber('maxConversations', maxConversations, 0);
  const whenAllHostsDown = options.whenAllHostsDown ?? defaults.whenAllHostsDown;
  if (whenAllHostsDown !== 'wait' && whenAllHostsDown !== 'fail')
    throw new TypeError(`Expected \`whenAllHostsDown\` to be 'wait' or 'fail', got ${String(whenAllHostsDown)}`);
  if (urls.length === 0) throw new TypeError('Expected `hosts` to list at least one Ollama URL, got []');
  if (options.memoryBudgetBytes !== undefined) assertNumber('memoryBudgetBytes', options.memoryBudgetBytes, 1);
  const reservedSlots = options.reservedSlots ?? defaults.reservedSlots;
  assertNumber('reservedSlots', reservedSlots, 0);
  const backgroundSlots = Math.max(1, concurrency - reservedSlots);
  const maxQueued = Object.fromEntries(
    priorities.map((p) => {
      const value = options.maxQueued?.[p] ?? defaults.maxQueued;
      assertNumber(`maxQueued.${p}`, value, 0);
      return [p, value];
    }),
  ) as Record<Priority, number>;

  return {
    fetch: fetchImpl,
    concurrency,
    concurrencyPerHost,
    agingMs,
    retries,
    retryBaseMs,
    cacheTtlMs,
    maxAffinityWaitMs,
    urgentAffinityWaitMs,
    maxLoadedModels,
    pollIntervalMs,
    maxConversations,
    whenAllHostsDown,
    urls,
    backgroundSlots,
    maxQueued,
  };
}
