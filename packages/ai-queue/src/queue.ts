import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  ChatRequest,
  ChatResponse,
  EmbedRequest,
  EmbedResponse,
  GenerateRequest,
  GenerateResponse,
  Ollama,
} from 'ollama';
import {
  ModelNotFoundError,
  OllamaUnavailableError,
  PilmsAiQueueError,
  QueueFullError,
  RequestCancelledError,
} from './errors.js';
import { Host } from './host.js';
import { type ClassCounter, type FinalTiming, QueueMetrics } from './metrics.js';
import { type AiQueueOptions, type RequestOptions, resolveOptions } from './options.js';
import { HostRouter, type Routable } from './router.js';
import { FairScheduler, type Priority, priorities, type Ticket } from './scheduler.js';
import { Sharing } from './sharing.js';

interface Job extends Ticket, Routable {
  start(host: Host): void;
}

/** What a request carries through queueing and its retries. */
interface Attempt extends Target {
  enqueuedAt: number;
  retrying: boolean;
}

/** Where a request should run and what it costs. */
interface Target {
  model: string;
  conversation: string | undefined;
  /** Estimated tokens, its fair-share cost. */
  cost: number;
}

/** Answer tokens assumed when a request sets no `num_predict` (Ollama's limit is larger; most answers stop sooner). */
const assumedAnswerTokens = 256;

/** A request's fair-share cost: about 4 characters a prompt token, plus its answer limit. */
function estimateTokens(prompt: string, options: unknown, answers = true): number {
  const predict = (options as { num_predict?: unknown } | undefined)?.num_predict;
  const answer = typeof predict === 'number' && predict >= 0 ? predict : assumedAnswerTokens;
  return Math.ceil(prompt.length / 4) + (answers ? answer : 0);
}

/** A slot taken for one request, on one host. */
interface Slot {
  host: Host;
  release(): void;
}

type Stream<T> = AsyncIterable<T>;

function isBusy(error: unknown): boolean {
  return (error as { status_code?: number }).status_code === 503;
}

function isDown(error: unknown): boolean {
  return (error as { status_code?: number }).status_code === undefined && error instanceof TypeError;
}

/** The conversation of a chat: the caller's key, else a hash of the first user message. */
function conversationOf(request: { messages?: { role: string; content: string }[] }, opts: RequestOptions) {
  if (opts.conversation !== undefined) return opts.conversation;
  const first = request.messages?.find((m) => m.role === 'user');
  return first ? createHash('sha1').update(first.content).digest('base64url') : undefined;
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
  const settings = resolveOptions(options);
  const { concurrency, retries, retryBaseMs, urls } = settings;

  const scheduler = new FairScheduler<Job>(settings.agingMs);
  const hosts = urls.map(
    (url) =>
      new Host(
        {
          url,
          fetch: settings.fetch,
          slots: settings.concurrencyPerHost,
          budget: {
            maxLoadedModels: settings.maxLoadedModels,
            memoryBudgetBytes: options.memoryBudgetBytes,
            modelSizes: options.modelSizes ?? {},
          },
          pollIntervalMs: settings.pollIntervalMs,
          probeBaseMs: Math.max(1, retryBaseMs),
        },
        () => pump(),
      ),
  );
  const router = new HostRouter(hosts, settings.maxConversations);
  const sum = (of: (host: Host) => number) => hosts.reduce((total, host) => total + of(host), 0);
  for (const host of hosts) host.watch();
  let running = 0;
  let runningBackground = 0;
  let serviceMs = 2000;
  const metrics = new QueueMetrics();

  /**
   * The job `host` should run next, or none to leave its slot idle: the most urgent job if its model is loaded;
   * else a job for a loaded model while the urgent one has waited less than `maxAffinityWaitMs` (same class) or
   * `urgentAffinityWaitMs` (more urgent class); else the urgent one, once the models it would displace have no
   * running requests left. Decisions change only when a slot frees or a job arrives, so no timer is needed.
   */
  function nextFor(target: Host, now: number): Job | undefined {
    const othersWaiting = scheduler.size('interactive') + scheduler.size('normal') > 0;
    const allowed =
      othersWaiting && runningBackground >= settings.backgroundSlots
        ? (job: Job) => job.priority !== 'background'
        : () => true;
    const accepts = (job: Job) => allowed(job) && router.accepts(target, job);
    const urgent = scheduler.peek(now, accepts);
    if (!urgent) return undefined;
    const residency = target.residency;
    if (residency.isLoaded(urgent.ticket.model)) return urgent.ticket;
    const affine = scheduler.peek(now, (job) => accepts(job) && residency.isLoaded(job.model));
    const bound = affine && affine.rank <= urgent.rank ? settings.maxAffinityWaitMs : settings.urgentAffinityWaitMs;
    if (affine && now - urgent.ticket.enqueuedAt < bound) return affine.ticket;
    return residency.canStart(urgent.ticket.model) ? urgent.ticket : undefined;
  }

  function pump(): void {
    while (running < concurrency) {
      const now = Date.now();
      let picked: { job: Job; host: Host } | undefined;
      for (const host of router.free()) {
        const job = nextFor(host, now);
        if (job) {
          picked = { job, host };
          break;
        }
      }
      if (!picked) return;
      const { job, host } = picked;
      scheduler.take(job, now);
      running++;
      host.inFlight++;
      host.residency.started(job.model);
      router.served(job.conversation, host);
      if (job.priority === 'background') runningBackground++;
      if (!job.retrying) metrics.waited(job.priority, now - job.enqueuedAt);
      job.start(host);
    }
  }

  function estimateWaitMs(): number {
    return Math.ceil(((scheduler.size() + running) / concurrency) * serviceMs);
  }

  /**
   * Rejects at once when the class queue is full, the estimated wait passes the deadline, or (with
   * `whenAllHostsDown: 'fail'`) no host is up.
   */
  function admit(opts: RequestOptions): void {
    const priority = opts.priority ?? 'normal';
    if (settings.whenAllHostsDown === 'fail' && !router.anyUp()) {
      metrics.count(priority, 'failed');
      throw new OllamaUnavailableError(urls.join(', '));
    }
    const queued = scheduler.size(priority);
    const estimate = estimateWaitMs();
    const tooLate = opts.deadline !== undefined && running >= concurrency && Date.now() + estimate > opts.deadline;
    if (queued >= settings.maxQueued[priority] || tooLate) {
      metrics.count(priority, 'rejected');
      throw new QueueFullError(priority, queued, estimate);
    }
  }

  /**
   * Why a queued request ended: its own signal is a cancellation; its deadline passing while no host is up is the
   * hosts' unavailability.
   */
  function queuedAbortError(opts: RequestOptions, signal: AbortSignal): Error {
    if (!opts.signal?.aborted && !router.anyUp())
      return new OllamaUnavailableError(urls.join(', '), { cause: signal.reason });
    return new RequestCancelledError('queued', { cause: signal.reason });
  }

  /** Waits for a slot; resolves with the host and the slot's release function. */
  function acquire(attempt: Attempt, opts: RequestOptions, signal: AbortSignal): Promise<Slot> {
    const priority = opts.priority ?? 'normal';
    const { model } = attempt;
    if (signal.aborted) {
      const error = queuedAbortError(opts, signal);
      metrics.count(priority, error instanceof RequestCancelledError ? 'cancelled' : 'failed');
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        if (!scheduler.remove(job)) return;
        const error = queuedAbortError(opts, signal);
        metrics.count(priority, error instanceof RequestCancelledError ? 'cancelled' : 'failed');
        reject(error);
        // A drained model switch may have been waiting on this job.
        pump();
      };
      const job: Job = {
        priority,
        ...attempt,
        user: opts.user ?? 'anonymous',
        start(target) {
          signal.removeEventListener('abort', onAbort);
          const started = Date.now();
          let released = false;
          resolve({
            host: target,
            release() {
              if (released) return;
              released = true;
              running--;
              target.inFlight--;
              target.residency.finished(model);
              if (priority === 'background') runningBackground--;
              serviceMs = serviceMs * 0.8 + (Date.now() - started) * 0.2;
              target.poll();
              pump();
            },
          });
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      scheduler.push(job);
      pump();
    });
  }

  /** Adds the cross-process lease to a local slot; the local slot is given back if the lease cannot be had. */
  async function withGlobalSlot(slot: Slot, opts: RequestOptions, signal: AbortSignal): Promise<Slot> {
    if (!options.limiter) return slot;
    try {
      const lease = await options.limiter.acquire({ signal, priority: priorities.indexOf(opts.priority ?? 'normal') });
      return {
        host: slot.host,
        release() {
          void lease.release();
          slot.release();
        },
      };
    } catch (error) {
      slot.release();
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

  async function translate(error: unknown, model: string, target: Host, signal: AbortSignal): Promise<never> {
    if (signal.aborted) throw new RequestCancelledError('running', { cause: error });
    if ((error as { status_code?: number }).status_code === 404) {
      const available = await target
        .client(signal)
        .list()
        .then((list) => list.models.map((m) => m.name))
        .catch(() => []);
      throw new ModelNotFoundError(model, available, { cause: error });
    }
    if (PilmsAiQueueError.isInstance(error)) throw error;
    throw new OllamaUnavailableError(target.url, { cause: error });
  }

  /** Counts how a request ended, on its class and its host. */
  function ended(priority: Priority, target: Host, outcome: ClassCounter): void {
    metrics.count(priority, outcome);
    if (outcome === 'completed') target.completed++;
  }

  /**
   * Runs `call` holding a slot. A 503 or an unreachable host is retried up to `retries` times: the request goes back
   * to the queue at its old place, at once to another host that is up (the failed one is marked down), else after a
   * doubling backoff.
   */
  async function run<T>(
    target: Target,
    opts: RequestOptions,
    call: (client: Ollama) => Promise<T>,
    releaseWhenDone: boolean,
  ) {
    const priority = opts.priority ?? 'normal';
    admit(opts);
    const signal = requestSignal(opts);
    const attempt: Attempt = { ...target, enqueuedAt: Date.now(), retrying: false };
    for (let tries = 0; ; tries++) {
      const slot = await withGlobalSlot(await acquire(attempt, opts, signal), opts, signal);
      try {
        const result = await call(slot.host.client(signal));
        if (releaseWhenDone) {
          slot.release();
          metrics.firstToken(priority, Date.now() - attempt.enqueuedAt);
          metrics.timing(priority, result as FinalTiming);
          ended(priority, slot.host, 'completed');
        }
        return { result, slot, signal, enqueuedAt: attempt.enqueuedAt };
      } catch (error) {
        slot.release();
        if (!signal.aborted) slot.host.failures++;
        if (!signal.aborted && isDown(error)) slot.host.markDown();
        if (signal.aborted || tries >= retries || !(isBusy(error) || isDown(error))) {
          ended(priority, slot.host, signal.aborted ? 'cancelled' : 'failed');
          return translate(error, target.model, slot.host, signal);
        }
        metrics.count(priority, 'retries');
        attempt.retrying = true;
        if (!(isDown(error) && router.anyUp()))
          await sleep(retryBaseMs * 2 ** tries, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  async function* relay<T extends FinalTiming>(
    source: AsyncIterable<T>,
    started: { slot: Slot; signal: AbortSignal; enqueuedAt: number },
    model: string,
    priority: Priority,
  ): Stream<T> {
    const { slot, signal } = started;
    let first = true;
    try {
      for await (const chunk of source) {
        if (first) metrics.firstToken(priority, Date.now() - started.enqueuedAt);
        first = false;
        if ((chunk as { done?: boolean }).done) metrics.timing(priority, chunk);
        yield chunk;
      }
      ended(priority, slot.host, 'completed');
    } catch (error) {
      ended(priority, slot.host, signal.aborted ? 'cancelled' : 'failed');
      if (!signal.aborted) {
        slot.host.failures++;
        // A broken stream may be a dead host: the health poll marks it down if so.
        slot.host.poll();
      }
      await translate(error, model, slot.host, signal);
    } finally {
      slot.release();
    }
  }

  const sharing = new Sharing({
    cache: options.cache,
    ttlMs: settings.cacheTtlMs,
    count: (priority, event) => metrics.count(priority, event),
  });

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
  async function complete<R, C extends FinalTiming>(
    kind: string,
    request: R & { model: string; stream?: boolean; options?: unknown },
    target: Target,
    opts: RequestOptions,
    streamCall: (client: Ollama) => Promise<AsyncIterable<C>>,
    plainCall: (client: Ollama) => Promise<C>,
  ): Promise<C | Stream<C>> {
    const priority = opts.priority ?? 'normal';
    const key = cacheKey(kind, request, opts);
    if (request.stream) {
      const open = async (signal: AbortSignal | undefined) => {
        const started = await run(target, signal ? { ...opts, signal } : opts, streamCall, false);
        return relay(started.result, started, request.model, priority);
      };
      return key ? sharing.stream(key, priority, opts.signal, open) : open(opts.signal);
    }
    return sharing.answer(key, priority, async () => (await run(target, opts, plainCall, true)).result);
  }

  function chat(request: ChatRequest & { stream: true }, opts?: RequestOptions): Promise<Stream<ChatResponse>>;
  function chat(request: ChatRequest & { stream?: false }, opts?: RequestOptions): Promise<ChatResponse>;
  function chat(request: ChatRequest, opts: RequestOptions = {}): Promise<ChatResponse | Stream<ChatResponse>> {
    return complete(
      'chat',
      request,
      {
        model: request.model,
        conversation: conversationOf(request, opts),
        cost: estimateTokens((request.messages ?? []).map((m) => m.content).join('\n'), request.options),
      },
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
      {
        model: request.model,
        conversation: opts.conversation,
        cost: estimateTokens(request.prompt ?? '', request.options),
      },
      opts,
      (c) => c.generate({ ...request, stream: true }),
      (c) => c.generate({ ...request, stream: false }),
    );
  }

  async function embed(request: EmbedRequest, opts: RequestOptions = {}): Promise<EmbedResponse> {
    const priority = opts.priority ?? 'normal';
    const send = async (input: string[]) =>
      (
        await run(
          { model: request.model, conversation: undefined, cost: estimateTokens(input.join('\n'), undefined, false) },
          opts,
          (c) => c.embed({ ...request, input }),
          true,
        )
      ).result;
    return sharing.join(cacheKey('embed', request, opts, true), priority, () =>
      opts.cache === false
        ? send(typeof request.input === 'string' ? [request.input] : request.input)
        : sharing.embeddings(request, priority, send),
    );
  }

  return {
    chat,
    generate,
    embed,
    /** Plain-data metrics for @pilms/monitor. */
    stats() {
      const classes = metrics.byClass((p) => scheduler.size(p));
      return {
        running,
        concurrency,
        queued: Object.fromEntries(priorities.map((p) => [p, scheduler.size(p)])) as Record<Priority, number>,
        waitMs: Object.fromEntries(priorities.map((p) => [p, classes[p].waitMs])) as Record<
          Priority,
          { p50: number; p95: number; p99: number }
        >,
        estimatedServiceMs: Math.round(serviceMs),
        completed: metrics.total('completed'),
        failed: metrics.total('failed'),
        cancelled: metrics.total('cancelled'),
        rejected: metrics.total('rejected'),
        cacheHits: metrics.total('cacheHits'),
        dedupeJoins: metrics.total('dedupeJoins'),
        retries: metrics.total('retries'),
        classes,
        models: {
          loads: sum((h) => h.residency.loads),
          swaps: sum((h) => h.residency.swaps),
          reportedLoads: metrics.reportedLoads,
          loaded: sum((h) => h.residency.models().length),
        },
        hosts: Object.fromEntries(
          hosts.map((h) => [
            h.url,
            {
              up: h.up ? 1 : 0,
              slots: h.options.slots,
              inFlight: h.inFlight,
              completed: h.completed,
              failures: h.failures,
              loadedModels: h.residency.models().length,
              installedModels: h.installed?.size ?? 0,
            },
          ]),
        ),
      };
    },
    /** Stops polling the hosts; requests already queued or running continue. Idempotent. */
    async close(): Promise<void> {
      for (const host of hosts) host.close();
    },
  };
}

/** The queue returned by {@link createAiQueue}. */
export type AiQueue = ReturnType<typeof createAiQueue>;
