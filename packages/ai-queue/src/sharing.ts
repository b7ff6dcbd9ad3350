import { createHash } from 'node:crypto';
import type { EmbedRequest, EmbedResponse } from 'ollama';
import { Broadcast } from './broadcast.js';
import { RequestCancelledError } from './errors.js';
import type { Priority } from './scheduler.js';

/** Structural cache interface (satisfied by @pilms/cache-layers); ttl in milliseconds. */
export interface CacheLike<V> {
  get(key: string): Promise<V | undefined>;
  set(key: string, value: V, options?: { ttl?: number }): Promise<unknown>;
}

interface SharingOptions {
  cache: CacheLike<unknown> | undefined;
  ttlMs: number;
  /** Called per answer or embedding served from the cache, and per request that joined one in flight. */
  count(priority: Priority, event: 'cacheHits' | 'dedupeJoins'): void;
}

const hash = (text: string) => createHash('sha256').update(text).digest('base64url');

/** Resolves with `promise`, or rejects with a queued cancellation when `signal` fires first. */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new RequestCancelledError('queued', { cause: signal.reason }));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Everything that saves a generation: identical requests in flight share one (answers and streams alike),
 * deterministic answers come from the cache, and embeddings are cached per input text.
 */
export class Sharing {
  private readonly answers = new Map<string, Promise<unknown>>();
  private readonly streams = new Map<string, { broadcast: Broadcast<unknown>; ready: Promise<void> }>();

  constructor(private readonly options: SharingOptions) {}

  /** Joins an identical request in flight, else runs `compute` through the cache (when one is configured). */
  answer<T>(key: string | undefined, priority: Priority, compute: () => Promise<T>): Promise<T> {
    return key ? this.join(key, priority, () => this.fromCache(key, priority, compute)) : compute();
  }

  /** Joins an identical request in flight, else runs `compute`. */
  join<T>(key: string | undefined, priority: Priority, compute: () => Promise<T>): Promise<T> {
    if (!key) return compute();
    const joined = this.answers.get(key) as Promise<T> | undefined;
    if (joined) {
      this.options.count(priority, 'dedupeJoins');
      return joined;
    }
    const shared = compute().finally(() => this.answers.delete(key));
    this.answers.set(key, shared);
    return shared;
  }

  /**
   * Joins an identical stream in flight (the joiner gets the chunks produced so far, then the live ones), else opens
   * one with `open(signal)`: its signal fires only when every listener has left.
   */
  async stream<C>(
    key: string,
    priority: Priority,
    signal: AbortSignal | undefined,
    open: (signal: AbortSignal) => Promise<AsyncIterable<C>>,
  ): Promise<AsyncIterable<C>> {
    let entry = this.streams.get(key);
    if (entry) this.options.count(priority, 'dedupeJoins');
    else {
      const generation = new AbortController();
      const broadcast = new Broadcast<unknown>(() => generation.abort(new Error('every listener left')));
      const ready = open(generation.signal).then(
        (source) => void broadcast.drain(source).finally(() => this.streams.delete(key)),
        (error: unknown) => {
          this.streams.delete(key);
          throw error;
        },
      );
      entry = { broadcast, ready };
      this.streams.set(key, entry);
    }
    const listener = entry.broadcast.listen(signal) as AsyncIterable<C> & { leave(): void };
    try {
      await unlessAborted(entry.ready, signal);
    } catch (error) {
      listener.leave();
      throw error;
    }
    return listener;
  }

  /** Embeds only the input texts the cache lacks, in one request, and caches each new embedding by its text. */
  async embeddings(
    request: EmbedRequest,
    priority: Priority,
    send: (input: string[]) => Promise<EmbedResponse>,
  ): Promise<EmbedResponse> {
    const { cache, ttlMs } = this.options;
    const texts = typeof request.input === 'string' ? [request.input] : request.input;
    if (!cache) return send(texts);
    const scope = hash(JSON.stringify({ ...request, input: undefined }));
    const keys = texts.map((text) => `ai-queue:embedding:${scope}:${hash(text)}`);
    const found = (await Promise.all(keys.map((key) => cache.get(key)))) as (number[] | undefined)[];
    const missing = texts.flatMap((_, i) => (found[i] === undefined ? [i] : []));
    for (let i = missing.length; i < texts.length; i++) this.options.count(priority, 'cacheHits');
    if (missing.length === 0)
      return {
        model: request.model,
        embeddings: found as number[][],
        total_duration: 0,
        load_duration: 0,
        prompt_eval_count: 0,
      };
    const fresh = await send(missing.map((i) => texts[i] as string));
    for (const [j, i] of missing.entries()) found[i] = fresh.embeddings[j];
    await Promise.all(missing.map((i) => cache.set(keys[i] as string, found[i], { ttl: ttlMs })));
    return { ...fresh, embeddings: found as number[][] };
  }

  private async fromCache<T>(key: string, priority: Priority, compute: () => Promise<T>): Promise<T> {
    const { cache, ttlMs } = this.options;
    if (!cache) return compute();
    const hit = (await cache.get(key)) as T | undefined;
    if (hit !== undefined) {
      this.options.count(priority, 'cacheHits');
      return hit;
    }
    const value = await compute();
    await cache.set(key, value, { ttl: ttlMs });
    return value;
  }
}
