import { randomUUID } from 'node:crypto';
import type { BusMessage, CacheBus } from './bus.js';
import { type Codec, jsonCodec, serialize } from './codec.js';
import { defaults } from './defaults.js';
import { pack, unpack } from './envelope.js';
import { ClosedError, InvalidOptionError, LoaderTimeoutError } from './errors.js';
import { type CacheLogger, createGuard } from './guard.js';
import { createL1, type Entry, type EntryMeta, entryOf } from './l1.js';
import { createLatencyWindow } from './latency.js';
import { readSnapshot, type SnapshotItem, writeSnapshot } from './snapshot.js';
import type { CacheStore } from './store.js';
import { checkFunction, checkKey, checkNumber } from './validate.js';

/** Produces a value on a miss; gets the stale value (if any) so it can revalidate cheaply. */
export type Loader<V> = (context: { key: string; stale: V | undefined }) => V | Promise<V>;

/** Per-call options of `set`. */
export interface SetOptions {
  /** Time to live in ms; 0 never expires. Default: the namespace's or cache's `ttl` (5 min). */
  ttl?: number;
  /** Grace after expiry, ms, during which the stale value is served while one refresh runs. Default `grace` (0). */
  grace?: number;
  /** Tags for {@link Cache.deleteByTag}. Default none. */
  tags?: readonly string[];
}

/** Per-call options of `getOrSet`. */
export interface GetOrSetOptions extends SetOptions {
  /** With a stale value in grace: wait this long for the loader, then serve stale. Default: serve stale at once. */
  softTimeoutMs?: number;
  /** Without a stale value: give up after this long with a {@link LoaderTimeoutError}. Default: wait. */
  hardTimeoutMs?: number;
}

/** Options shared by the cache and its namespaces. */
export interface ScopeOptions<V> {
  /** Default time to live, ms; 0 never expires. Default 300000. */
  ttl?: number;
  /** Default grace period after expiry, ms. Default 0. */
  grace?: number;
  /** Read-through: `get` runs this loader on a miss. Default none. */
  loader?: Loader<V>;
  /** Write-through: `set` awaits this (e.g. the database write) before caching. Default none. */
  persist?: (key: string, value: V) => Promise<void>;
  /** Default soft timeout of `getOrSet`, ms. */
  softTimeoutMs?: number;
  /** Default hard timeout of `getOrSet`, ms. */
  hardTimeoutMs?: number;
}

/** Options of {@link createCache}. */
export interface CacheOptions<V> extends ScopeOptions<V> {
  /** L1 bounds. Defaults: 10000 hot entries, 32 MiB hot, 64 MiB compressed, compress from 1024 bytes. */
  l1?: { hotMaxEntries?: number; hotMaxBytes?: number; compressedMaxBytes?: number; compressThresholdBytes?: number };
  /** Optional L2 store shared by processes: `createRedisStore`, `createSqliteStore`, `createMemoryStore`. */
  store?: CacheStore;
  /** Optional invalidation bus so other processes drop stale L1 copies. */
  bus?: CacheBus;
  /** Value codec. Default strict JSON (rejects functions, cycles, BigInt). */
  codec?: Codec;
  /** Longest accepted key (with namespace prefix). Default 512. */
  maxKeyLength?: number;
  /** Bound of each L2 call before it counts as failed, ms. Default 250. */
  l2TimeoutMs?: number;
  /** How long L2 is bypassed after a failure before it is probed again, ms. Default 5000. */
  breakerMs?: number;
  /** Expiry of the cross-process loader lock, ms. Default 10000. */
  lockTtlMs?: number;
  /** Keys read often get a longer TTL, keys never read a shorter one, within [minMs, maxMs]. */
  adaptiveTtl?: { minMs: number; maxMs: number; hotReads?: number };
  /** Save the hottest keys at close and reload them at the next start. `maxKeys` default 1000. */
  snapshot?: { path: string; maxKeys?: number };
  /** Where an L2 outage is logged, once per outage. Default `console`. */
  logger?: CacheLogger;
}

/** A key-value pair for {@link Cache.warm}. */
export interface WarmEntry<V> extends SetOptions {
  key: string;
  value: V;
}

/** A multi-tier cache or one of its namespaces. Satisfies the kit's structural `CacheLike<V>`. */
export interface Cache<V = unknown> {
  /** The fresh value, or undefined; with a read-through `loader`, loads on a miss. */
  get(key: string): Promise<V | undefined>;
  set(key: string, value: V, options?: SetOptions): Promise<void>;
  has(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Removes every key of this namespace (everything for the root cache), here and over the bus. */
  clear(): Promise<void>;
  /** Removes every key tagged `tag`, including stale ones, here and over the bus. */
  deleteByTag(tag: string): Promise<void>;
  /** Cache-aside with single-flight, cross-process lock, grace and timeouts. */
  getOrSet<T extends V = V>(key: string, loader: Loader<T>, options?: GetOrSetOptions): Promise<T>;
  /** A view whose keys are prefixed `name:`, with its own defaults. */
  namespace<N = V>(name: string, options?: ScopeOptions<N>): Cache<N>;
  /** Stores entries (or the entries a function returns) in L1 and L2, e.g. at start. */
  warm(entries: Iterable<WarmEntry<V>> | (() => Promise<Iterable<WarmEntry<V>>>)): Promise<number>;
  stats(): CacheStats;
  /** Writes the snapshot, closes the store and bus. Idempotent. */
  close(): Promise<void>;
}

/** Plain-data metrics of a cache (shared by all its namespaces). */
export interface CacheStats {
  hits: number;
  misses: number;
  hitRatio: number;
  l1: ReturnType<ReturnType<typeof createL1>['stats']>;
  l2: {
    hits: number;
    misses: number;
    corrupt: number;
    errors: number;
    timeouts: number;
    skipped: number;
    outages: number;
    circuitOpen: number;
  };
  loader: { runs: number; collapsed: number; errors: number; timeouts: number; staleServed: number; lockWaits: number };
  bus: { sent: number; received: number; lagMs: { p50: number; p95: number; p99: number } };
}

interface Scope<V> {
  prefix: string;
  ttl: number;
  grace: number;
  loader: Loader<V> | undefined;
  persist: ((key: string, value: V) => Promise<void>) | undefined;
  softTimeoutMs: number | undefined;
  hardTimeoutMs: number | undefined;
}

function validateScope(options: ScopeOptions<unknown>): void {
  checkNumber('ttl', options.ttl);
  checkNumber('grace', options.grace);
  checkNumber('softTimeoutMs', options.softTimeoutMs);
  checkNumber('hardTimeoutMs', options.hardTimeoutMs);
  checkFunction('loader', options.loader);
  checkFunction('persist', options.persist);
}

function scopeFrom<V>(prefix: string, options: ScopeOptions<V>, parent?: Scope<unknown>): Scope<V> {
  return {
    prefix,
    ttl: options.ttl ?? parent?.ttl ?? defaults.ttlMs,
    grace: options.grace ?? parent?.grace ?? defaults.graceMs,
    loader: options.loader,
    persist: options.persist,
    softTimeoutMs: options.softTimeoutMs ?? parent?.softTimeoutMs,
    hardTimeoutMs: options.hardTimeoutMs ?? parent?.hardTimeoutMs,
  };
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/** Creates the shared machinery of a cache: tiers, breaker, single-flight, bus, stats. */
function createCore(options: CacheOptions<unknown>) {
  checkNumber('maxKeyLength', options.maxKeyLength, 1);
  checkNumber('l2TimeoutMs', options.l2TimeoutMs, 1);
  checkNumber('breakerMs', options.breakerMs);
  checkNumber('lockTtlMs', options.lockTtlMs, 1);
  for (const name of ['hotMaxEntries', 'hotMaxBytes', 'compressedMaxBytes', 'compressThresholdBytes'] as const) {
    checkNumber(`l1.${name}`, options.l1?.[name], name === 'hotMaxEntries' ? 0 : 1);
  }
  if (options.adaptiveTtl) {
    checkNumber('adaptiveTtl.minMs', options.adaptiveTtl.minMs, 1);
    checkNumber('adaptiveTtl.maxMs', options.adaptiveTtl.maxMs, options.adaptiveTtl.minMs);
    checkNumber('adaptiveTtl.hotReads', options.adaptiveTtl.hotReads, 1);
  }
  if (options.snapshot && typeof options.snapshot.path !== 'string') {
    throw new InvalidOptionError('snapshot.path', 'a file path', options.snapshot.path);
  }
  const codec = options.codec ?? jsonCodec;
  const threshold = options.l1?.compressThresholdBytes ?? defaults.compressThresholdBytes;
  const l1 = createL1(
    {
      hotMaxEntries: options.l1?.hotMaxEntries ?? defaults.hotMaxEntries,
      hotMaxBytes: options.l1?.hotMaxBytes ?? defaults.hotMaxBytes,
      compressedMaxBytes: options.l1?.compressedMaxBytes ?? defaults.compressedMaxBytes,
      compressThresholdBytes: threshold,
    },
    codec.parse,
  );
  const logger = options.logger ?? console;
  const store = options.store;
  const guard = createGuard({
    name: store?.name ?? 'none',
    timeoutMs: options.l2TimeoutMs ?? defaults.l2TimeoutMs,
    breakerMs: options.breakerMs ?? defaults.breakerMs,
    logger,
  });
  const origin = randomUUID();
  const flights = new Map<string, Promise<unknown>>();
  const counters = { hits: 0, misses: 0, l2Hits: 0, l2Misses: 0, corrupt: 0 };
  const loader = { runs: 0, collapsed: 0, errors: 0, timeouts: 0, staleServed: 0, lockWaits: 0 };
  const bus = { sent: 0, received: 0, lag: createLatencyWindow() };
  const maxKeyLength = options.maxKeyLength ?? defaults.maxKeyLength;
  const lockTtlMs = options.lockTtlMs ?? defaults.lockTtlMs;
  let closed = false;

  const forget = (message: BusMessage): void => {
    if (message.kind === 'delete') for (const key of message.keys) l1.delete(key);
    else if (message.kind === 'clear') l1.deleteWhere((key) => key.startsWith(message.prefix));
    else l1.deleteWhere((_key, meta) => meta.tags.includes(message.tag));
  };
  options.bus?.subscribe((message) => {
    if (message.origin === origin) return;
    bus.received++;
    bus.lag.add(Math.max(0, Date.now() - message.sentAt));
    forget(message);
  });

  if (options.snapshot) {
    const { items, error } = readSnapshot(options.snapshot.path);
    if (error) logger.warn('@pilms/cache-layers: ignoring an unreadable snapshot', { path: options.snapshot.path });
    const now = Date.now();
    for (const item of items) {
      if (item.meta.staleUntil > now) l1.set(item.key, entryOf(item.meta, codec.parse(item.text), 0), item.text);
    }
  }

  const core = {
    codec,
    l1,
    flights,
    loader,
    lockTtlMs,
    adaptive: options.adaptiveTtl,
    assertOpen(): void {
      if (closed) throw new ClosedError('This cache');
    },
    checkKey(key: string, prefix: string): string {
      if (closed) throw new ClosedError('This cache');
      checkKey(key, maxKeyLength);
      if (prefix === '') return key;
      const full = prefix + key;
      checkKey(full, maxKeyLength);
      return full;
    },
    /** The fresh L1 entry, counted as a hit; the synchronous fast path of every read. */
    freshInL1(key: string): Entry | undefined {
      const found = l1.get(key);
      if (found === undefined || found.expiresAt <= Date.now()) return undefined;
      counters.hits++;
      return found;
    },
    /** Finds an entry in L1, then L2 (copying it up); fresh or stale. */
    async lookup(key: string): Promise<Entry | undefined> {
      return l1.get(key) ?? (await core.readL2(key));
    },
    /** Reads L2 and copies a decodable entry into L1. */
    async readL2(key: string): Promise<Entry | undefined> {
      const bytes = store ? await guard.call(() => store.get(key), undefined) : undefined;
      if (!store) return undefined;
      if (!bytes) {
        counters.l2Misses++;
        return undefined;
      }
      try {
        const { meta, text } = unpack(bytes);
        const entry = entryOf(meta, codec.parse(text), 1);
        l1.set(key, entry, text);
        counters.l2Hits++;
        return entry;
      } catch {
        // Corrupt bytes (a torn write, another version's format) are a miss, never a crash.
        counters.corrupt++;
        counters.l2Misses++;
        return undefined;
      }
    },
    /** Counts the read as a hit or a miss. */
    isFresh(entry: Entry | undefined): boolean {
      const fresh = entry !== undefined && entry.expiresAt > Date.now();
      if (fresh) counters.hits++;
      else counters.misses++;
      return fresh;
    },
    async store(key: string, value: unknown, meta: EntryMeta, text = serialize(codec, key, value)): Promise<void> {
      l1.set(key, entryOf(meta, value, 0), text);
      if (store) {
        const ttlMs = Number.isFinite(meta.staleUntil) ? Math.max(1, meta.staleUntil - Date.now()) : 0;
        await guard.call(() => store.set(key, pack(meta, text, threshold), { ttlMs, tags: meta.tags }), undefined);
      }
    },
    /** Applies an invalidation here, in L2, and tells the other processes. */
    async invalidate(message: BusMessage): Promise<void> {
      forget(message);
      if (store) {
        const { kind } = message;
        await guard.call(
          () =>
            kind === 'delete'
              ? store.delete(message.keys)
              : kind === 'clear'
                ? store.clear(message.prefix)
                : store.deleteByTag(message.tag).then(() => undefined),
          undefined,
        );
      }
      await core.announce(message);
    },
    /** Tells the other processes to drop their L1 copies; never throws. */
    async announce(message: BusMessage): Promise<void> {
      if (!options.bus) return;
      const target = options.bus;
      bus.sent++;
      await guard.call(() => target.publish(message), undefined);
    },
    message<K extends BusMessage['kind']>(kind: K): { kind: K; origin: string; sentAt: number } {
      return { kind, origin, sentAt: Date.now() };
    },
    /** Takes the cross-process lock; `undefined` when another process holds it. */
    async lock(key: string): Promise<(() => Promise<void>) | undefined> {
      const noLock = async () => {};
      if (!store?.lock) return noLock;
      const lock = store.lock.bind(store);
      // When L2 is down each process loads on its own: better than failing the request.
      return guard.call(() => lock(`lock:${key}`, lockTtlMs), noLock);
    },
    /** Waits for another process's loader to fill L2; undefined if it did not within the lock TTL. */
    async awaitOther(key: string): Promise<Entry | undefined> {
      loader.lockWaits++;
      const deadline = Date.now() + lockTtlMs;
      while (Date.now() < deadline) {
        await sleep(defaults.lockPollMs);
        const entry = await core.readL2(key);
        if (entry && entry.expiresAt > Date.now()) return entry;
      }
      return undefined;
    },
    stats(): CacheStats {
      const total = counters.hits + counters.misses;
      const { errors, timeouts, skipped, outages, circuitOpen } = guard.stats();
      return {
        hits: counters.hits,
        misses: counters.misses,
        hitRatio: total === 0 ? 0 : Math.round((counters.hits / total) * 1000) / 1000,
        l1: l1.stats(),
        l2: {
          hits: counters.l2Hits,
          misses: counters.l2Misses,
          corrupt: counters.corrupt,
          errors,
          timeouts,
          skipped,
          outages,
          circuitOpen,
        },
        loader: { ...loader },
        bus: { sent: bus.sent, received: bus.received, lagMs: bus.lag.summary() },
      };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.allSettled(flights.values());
      if (options.snapshot) {
        const items: SnapshotItem[] = [];
        for (const { key } of l1.hottest(options.snapshot.maxKeys ?? defaults.snapshotMaxKeys)) {
          const entry = l1.get(key);
          if (entry) items.push({ key, text: codec.stringify(entry.value), meta: entry });
        }
        writeSnapshot(options.snapshot.path, items);
      }
      await options.bus?.close();
      await store?.close();
    },
  };

  return core;
}

type Core = ReturnType<typeof createCore>;

class CacheView<V> implements Cache<V> {
  readonly #core: Core;
  readonly #scope: Scope<V>;

  constructor(core: Core, scope: Scope<V>) {
    this.#core = core;
    this.#scope = scope;
  }

  async get(key: string): Promise<V | undefined> {
    if (this.#scope.loader) return this.getOrSet(key, this.#scope.loader);
    const full = this.#core.checkKey(key, this.#scope.prefix);
    const hit = this.#core.freshInL1(full);
    if (hit) return hit.value as V;
    const entry = await this.#core.lookup(full);
    return this.#core.isFresh(entry) ? (entry?.value as V) : undefined;
  }

  async has(key: string): Promise<boolean> {
    const entry = await this.#core.lookup(this.#core.checkKey(key, this.#scope.prefix));
    return entry !== undefined && entry.expiresAt > Date.now();
  }

  async set(key: string, value: V, options: SetOptions = {}): Promise<void> {
    const full = this.#core.checkKey(key, this.#scope.prefix);
    const meta = this.#meta(options, options.ttl ?? this.#scope.ttl);
    // Serialize before persisting so an uncacheable value fails before any side effect.
    const text = serialize(this.#core.codec, full, value);
    if (this.#scope.persist) await this.#scope.persist(key, value);
    await this.#core.store(full, value, meta, text);
    await this.#core.announce({ ...this.#core.message('delete'), keys: [full] });
  }

  async delete(key: string): Promise<void> {
    const full = this.#core.checkKey(key, this.#scope.prefix);
    await this.#core.invalidate({ ...this.#core.message('delete'), keys: [full] });
  }

  async clear(): Promise<void> {
    this.#core.assertOpen();
    await this.#core.invalidate({ ...this.#core.message('clear'), prefix: this.#scope.prefix });
  }

  async deleteByTag(tag: string): Promise<void> {
    this.#core.assertOpen();
    await this.#core.invalidate({ ...this.#core.message('tag'), tag });
  }

  async getOrSet<T extends V = V>(key: string, loader: Loader<T>, options?: GetOrSetOptions): Promise<T> {
    const core = this.#core;
    const full = core.checkKey(key, this.#scope.prefix);
    const hit = core.freshInL1(full);
    if (hit) return hit.value as T;
    return this.#getOrLoad(key, full, loader, options ?? {});
  }

  async #getOrLoad<T extends V>(key: string, full: string, loader: Loader<T>, options: GetOrSetOptions): Promise<T> {
    const core = this.#core;
    const entry = await core.lookup(full);
    if (core.isFresh(entry)) return entry?.value as T;
    const stale = entry && entry.staleUntil > Date.now() ? entry : undefined;
    const refresh = this.#refresh(key, full, loader, options, stale);
    if (stale) {
      core.loader.staleServed++;
      const softTimeoutMs = options.softTimeoutMs ?? this.#scope.softTimeoutMs;
      if (softTimeoutMs === undefined) {
        refresh.catch(() => {});
        return stale.value as T;
      }
      // Loader errors fall back to the stale value: a failing source never evicts a good copy.
      return Promise.race([refresh.catch(() => stale.value as T), sleep(softTimeoutMs).then(() => stale.value as T)]);
    }
    const hardTimeoutMs = options.hardTimeoutMs ?? this.#scope.hardTimeoutMs;
    if (hardTimeoutMs === undefined) return refresh;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        core.loader.timeouts++;
        reject(new LoaderTimeoutError(full, hardTimeoutMs));
      }, hardTimeoutMs);
    });
    return Promise.race([refresh, timeout]).finally(() => clearTimeout(timer));
  }

  namespace<N = V>(name: string, options: ScopeOptions<N> = {}): Cache<N> {
    validateScope(options as ScopeOptions<unknown>);
    if (name.length === 0 || name.includes(':'))
      throw new InvalidOptionError('name', 'a non-empty name without ":"', name);
    return new CacheView<N>(
      this.#core,
      scopeFrom(`${this.#scope.prefix}${name}:`, options, this.#scope as Scope<unknown>),
    );
  }

  async warm(source: Iterable<WarmEntry<V>> | (() => Promise<Iterable<WarmEntry<V>>>)): Promise<number> {
    const entries = typeof source === 'function' ? await source() : source;
    let count = 0;
    for (const { key, value, ...options } of entries) {
      const full = this.#core.checkKey(key, this.#scope.prefix);
      await this.#core.store(full, value, this.#meta(options, options.ttl ?? this.#scope.ttl));
      count++;
    }
    return count;
  }

  stats(): CacheStats {
    return this.#core.stats();
  }

  close(): Promise<void> {
    return this.#core.close();
  }

  #meta(options: SetOptions, ttl: number): EntryMeta {
    checkNumber('ttl', options.ttl);
    checkNumber('grace', options.grace);
    const now = Date.now();
    const expiresAt = ttl === 0 ? Number.POSITIVE_INFINITY : now + ttl;
    return { expiresAt, staleUntil: expiresAt + (options.grace ?? this.#scope.grace), tags: options.tags ?? [] };
  }

  #adaptiveTtl(base: number, previous: Entry | undefined): number {
    const adaptive = this.#core.adaptive;
    if (!adaptive) return base;
    // `reads` includes the lookup that found the entry stale, so 1 means nobody else read it.
    const reads = previous?.reads ?? 2;
    if (reads >= (adaptive.hotReads ?? defaults.adaptiveHotReads)) return adaptive.maxMs;
    if (reads <= 1) return adaptive.minMs;
    return Math.min(adaptive.maxMs, Math.max(adaptive.minMs, base));
  }

  /** Runs the loader once per key in this process, and once across processes when L2 can lock. */
  #refresh<T>(key: string, full: string, loader: Loader<T>, options: SetOptions, stale: Entry | undefined): Promise<T> {
    const core = this.#core;
    const running = core.flights.get(full);
    if (running) {
      core.loader.collapsed++;
      return running as Promise<T>;
    }
    const flight = (async () => {
      const release = await core.lock(full);
      if (!release) {
        if (stale) return stale.value as T;
        const filled = await core.awaitOther(full);
        if (filled) return filled.value as T;
      }
      try {
        core.loader.runs++;
        let value: T;
        try {
          value = await loader({ key, stale: stale?.value as T | undefined });
        } catch (error) {
          core.loader.errors++;
          throw error;
        }
        const ttl = this.#adaptiveTtl(options.ttl ?? this.#scope.ttl, stale);
        await core.store(full, value, this.#meta(options, ttl));
        await core.announce({ ...core.message('delete'), keys: [full] });
        return value;
      } finally {
        await release?.().catch(() => {});
      }
    })().finally(() => core.flights.delete(full));
    core.flights.set(full, flight);
    return flight;
  }
}

/**
 * Creates a multi-tier cache: L1 hot LRU + L1 LZ4-compressed tier, an optional shared L2 store,
 * an optional invalidation bus. Every failure of L2 or the bus is absorbed: a request never fails
 * because the cache failed.
 */
export function createCache<V = unknown>(options: CacheOptions<V> = {}): Cache<V> {
  validateScope(options as ScopeOptions<unknown>);
  const core = createCore(options as CacheOptions<unknown>);
  return new CacheView<V>(core, scopeFrom('', options));
}
