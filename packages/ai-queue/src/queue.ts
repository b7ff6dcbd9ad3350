import {
  type ChatRequest,
  type ChatResponse,
  type EmbedRequest,
  type EmbedResponse,
  type GenerateRequest,
  type GenerateResponse,
  Ollama,
} from 'ollama';
import {
  ModelNotFoundError,
  OllamaUnavailableError,
  PilmsAiQueueError,
  QueueFullError,
  RequestCancelledError,
} from './errors.js';
import { Percentiles } from './percentiles.js';
import { FairScheduler, type Priority, priorities, type Ticket } from './scheduler.js';
import type { SlotLimiter } from './slot-limiter.js';

/** Structural cache interface (satisfied by @pilms/cache-layers); ttl in milliseconds. */
export interface CacheLike<V> {
  get(key: string): Promise<V | undefined>;
  set(key: string, value: V, options?: { ttl?: number }): Promise<unknown>;
}

/** Options of {@link createAiQueue}. */
export interface AiQueueOptions {
  /** Ollama base URL. Default `http://127.0.0.1:11434`. */
  host?: string;
  /** fetch used by the ollama client. Default the global fetch. */
  fetch?: typeof fetch;
  /** Requests sent to Ollama at once; match OLLAMA_NUM_PARALLEL. Default 2. */
  concurrency?: number;
  /** Queued requests per priority class before `QueueFullError`. Default 200 each. */
  maxQueued?: Partial<Record<Priority, number>>;
  /** Waiting this long promotes a queued request by one class. Default 30 000 ms. */
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
} as const;

interface Job extends Ticket {
  start(): void;
}

type Stream<T> = AsyncIterable<T>;

function assertNumber(name: string, value: number, min: number): void {
  if (!Number.isFinite(value) || value < min)
    throw new TypeError(`Expected \`${name}\` to be a finite number >= ${min}, got ${value}`);
}

function isBusyOrDown(error: unknown): boolean {
  const status = (error as { status_code?: number }).status_code;
  return status === 503 || (status === undefined && error instanceof TypeError);
}

function isDeterministic(options: unknown): boolean {
  const o = (options ?? {}) as { temperature?: number; seed?: number };
  return o.temperature === 0 || typeof o.seed === 'number';
}

/**
 * Creates the scheduler in front of Ollama: priority classes with aging, round-robin fairness per user,
 * a concurrency limit, admission control, cancellation and a cache for deterministic requests.
 */
export function createAiQueue(options: AiQueueOptions = {}) {
  const host = options.host ?? defaults.host;
  const fetchImpl = options.fetch ?? fetch;
  const concurrency = options.concurrency ?? defaults.concurrency;
  const agingMs = options.agingMs ?? defaults.agingMs;
  const retries = options.retries ?? defaults.retries;
  const retryBaseMs = options.retryBaseMs ?? defaults.retryBaseMs;
  const cacheTtlMs = options.cacheTtlMs ?? defaults.cacheTtlMs;
  assertNumber('concurrency', concurrency, 1);
  assertNumber('agingMs', agingMs, 1);
  assertNumber('retries', retries, 0);
  assertNumber('retryBaseMs', retryBaseMs, 0);
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

  const scheduler = new FairScheduler<Job>(agingMs);
  let running = 0;
  let runningBackground = 0;
  let serviceMs = 2000;
  const counters = { completed: 0, failed: 0, cancelled: 0, rejected: 0, cacheHits: 0, dedupeJoins: 0, retries: 0 };
  const waits = Object.fromEntries(priorities.map((p) => [p, new Percentiles()])) as Record<Priority, Percentiles>;

  function pump(): void {
    while (running < concurrency) {
      const othersWaiting = scheduler.size('interactive') + scheduler.size('normal') > 0;
      const job = scheduler.shift(
        Date.now(),
        othersWaiting && runningBackground >= backgroundSlots ? 'background' : undefined,
      );
      if (!job) return;
      running++;
      if (job.priority === 'background') runningBackground++;
      waits[job.priority].add(Date.now() - job.enqueuedAt);
      job.start();
    }
  }

  function estimateWaitMs(): number {
    return Math.ceil(((scheduler.size() + running) / concurrency) * serviceMs);
  }

  /** Waits for a slot; resolves with its release function. */
  function acquire(opts: RequestOptions, signal: AbortSignal): Promise<() => void> {
    const priority = opts.priority ?? 'normal';
    const queued = scheduler.size(priority);
    const estimate = estimateWaitMs();
    const tooLate = opts.deadline !== undefined && running >= concurrency && Date.now() + estimate > opts.deadline;
    if (queued >= maxQueued[priority] || tooLate) {
      counters.rejected++;
      return Promise.reject(new QueueFullError(priority, queued, estimate));
    }
    if (signal.aborted) return Promise.reject(new RequestCancelledError('queued', { cause: signal.reason }));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        if (!scheduler.remove(job)) return;
        counters.cancelled++;
        reject(new RequestCancelledError('queued', { cause: signal.reason }));
      };
      const job: Job = {
        priority,
        user: opts.user ?? 'anonymous',
        enqueuedAt: Date.now(),
        start() {
          signal.removeEventListener('abort', onAbort);
          const started = Date.now();
          let released = false;
          resolve(() => {
            if (released) return;
            released = true;
            running--;
            if (priority === 'background') runningBackground--;
            serviceMs = serviceMs * 0.8 + (Date.now() - started) * 0.2;
            pump();
          });
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      scheduler.push(job);
      pump();
    });
  }

  /** Adds the cross-process lease to a local slot; the local slot is given back if the lease cannot be had. */
  async function withGlobalSlot(release: () => void, opts: RequestOptions, signal: AbortSignal): Promise<() => void> {
    if (!options.limiter) return release;
    try {
      const lease = await options.limiter.acquire({ signal, priority: priorities.indexOf(opts.priority ?? 'normal') });
      return () => {
        void lease.release();
        release();
      };
    } catch (error) {
      release();
      throw signal.aborted ? new RequestCancelledError('queued', { cause: error }) : error;
    }
  }

  function requestSignal(opts: RequestOptions): AbortSignal {
    const signals: AbortSignal[] = [];
    if (opts.signal) signals.push(opts.signal);
    const timer =
      opts.deadline === undefined ? undefined : AbortSignal.timeout(Math.max(0, opts.deadline - Date.now()));
    if (timer) signals.push(timer);
    return AbortSignal.any(signals);
  }

  function clientFor(signal: AbortSignal): Ollama {
    return new Ollama({
      host,
      fetch: (url, init) =>
        fetchImpl(url, { ...init, signal: AbortSignal.any([signal, ...(init?.signal ? [init.signal] : [])]) }),
    });
  }

  async function translate(error: unknown, model: string, signal: AbortSignal): Promise<never> {
    if (signal.aborted) throw new RequestCancelledError('running', { cause: error });
    if ((error as { status_code?: number }).status_code === 404) {
      const available = await clientFor(signal)
        .list()
        .then((list) => list.models.map((m) => m.name))
        .catch(() => []);
      throw new ModelNotFoundError(model, available, { cause: error });
    }
    if (PilmsAiQueueError.isInstance(error)) throw error;
    throw new OllamaUnavailableError(host, { cause: error });
  }

  /** Runs `call` holding a slot, retrying busy/unreachable answers with backoff before giving up. */
  async function run<T>(
    model: string,
    opts: RequestOptions,
    call: (client: Ollama) => Promise<T>,
    releaseWhenDone: boolean,
  ) {
    const signal = requestSignal(opts);
    const release = await withGlobalSlot(await acquire(opts, signal), opts, signal);
    const client = clientFor(signal);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const result = await call(client);
          if (releaseWhenDone) {
            release();
            counters.completed++;
          }
          return { result, release, signal };
        } catch (error) {
          if (signal.aborted || attempt >= retries || !isBusyOrDown(error)) throw error;
          counters.retries++;
          await new Promise((r) => setTimeout(r, retryBaseMs * 2 ** attempt));
        }
      }
    } catch (error) {
      release();
      if (signal.aborted) counters.cancelled++;
      else counters.failed++;
      return translate(error, model, signal);
    }
  }

  async function* relay<T>(
    source: AsyncIterable<T>,
    release: () => void,
    model: string,
    signal: AbortSignal,
  ): Stream<T> {
    try {
      for await (const chunk of source) yield chunk;
      counters.completed++;
    } catch (error) {
      if (signal.aborted) counters.cancelled++;
      else counters.failed++;
      await translate(error, model, signal);
    } finally {
      release();
    }
  }

  const inFlight = new Map<string, Promise<unknown>>();

  /** Identical deterministic requests in flight share one generation; finished ones come from the cache. */
  function cached<T>(key: string | undefined, compute: () => Promise<T>): Promise<T> {
    if (!key) return compute();
    const joined = inFlight.get(key) as Promise<T> | undefined;
    if (joined) {
      counters.dedupeJoins++;
      return joined;
    }
    const shared = fromCache(key, compute).finally(() => inFlight.delete(key));
    inFlight.set(key, shared);
    return shared;
  }

  async function fromCache<T>(key: string, compute: () => Promise<T>): Promise<T> {
    if (!options.cache) return compute();
    const hit = (await options.cache.get(key)) as T | undefined;
    if (hit !== undefined) {
      counters.cacheHits++;
      return hit;
    }
    const value = await compute();
    await options.cache.set(key, value, { ttl: cacheTtlMs });
    return value;
  }

  function cacheKey(
    kind: string,
    request: { options?: unknown },
    opts: RequestOptions,
    always = false,
  ): string | undefined {
    if (opts.cache === false || !(always || isDeterministic(request.options))) return undefined;
    return `ai-queue:${kind}:${JSON.stringify(request)}`;
  }

  /** Shared path of chat and generate: streams hold the slot until consumed; answers go through cache and dedupe. */
  async function complete<R, C>(
    kind: string,
    request: R & { model: string; stream?: boolean; options?: unknown },
    opts: RequestOptions,
    streamCall: (client: Ollama) => Promise<AsyncIterable<C>>,
    plainCall: (client: Ollama) => Promise<C>,
  ): Promise<C | Stream<C>> {
    if (request.stream) {
      const { result, release, signal } = await run(request.model, opts, streamCall, false);
      return relay(result, release, request.model, signal);
    }
    return cached(cacheKey(kind, request, opts), async () => (await run(request.model, opts, plainCall, true)).result);
  }

  function chat(request: ChatRequest & { stream: true }, opts?: RequestOptions): Promise<Stream<ChatResponse>>;
  function chat(request: ChatRequest & { stream?: false }, opts?: RequestOptions): Promise<ChatResponse>;
  function chat(request: ChatRequest, opts: RequestOptions = {}): Promise<ChatResponse | Stream<ChatResponse>> {
    return complete(
      'chat',
      request,
      opts,
      (c) => c.chat({ ...request, stream: true }),
      (c) => c.chat({ ...request, stream: false }),
    );
  }

  function generate(
    request: GenerateRequest & { stream: true },
    opts?: RequestOptions,
  ): Promise<Stream<GenerateResponse>>;
  function generate(request: GenerateRequest & { stream?: false }, opts?: RequestOptions): Promise<GenerateResponse>;
  function generate(
    request: GenerateRequest,
    opts: RequestOptions = {},
  ): Promise<GenerateResponse | Stream<GenerateResponse>> {
    return complete(
      'generate',
      request,
      opts,
      (c) => c.generate({ ...request, stream: true }),
      (c) => c.generate({ ...request, stream: false }),
    );
  }

  async function embed(request: EmbedRequest, opts: RequestOptions = {}): Promise<EmbedResponse> {
    return cached(
      cacheKey('embed', request, opts, true),
      async () => (await run(request.model, opts, (c) => c.embed(request), true)).result,
    );
  }

  return {
    chat,
    generate,
    embed,
    /** Plain-data metrics for @pilms/monitor. */
    stats() {
      return {
        running,
        concurrency,
        queued: Object.fromEntries(priorities.map((p) => [p, scheduler.size(p)])) as Record<Priority, number>,
        waitMs: Object.fromEntries(priorities.map((p) => [p, waits[p].summary()])) as Record<
          Priority,
          { p50: number; p95: number; p99: number }
        >,
        estimatedServiceMs: Math.round(serviceMs),
        ...counters,
      };
    },
  };
}

/** The queue returned by {@link createAiQueue}. */
export type AiQueue = ReturnType<typeof createAiQueue>;
