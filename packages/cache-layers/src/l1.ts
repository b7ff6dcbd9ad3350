import { LRUCache } from 'lru-cache';
import { compressSync, uncompressSync } from 'lz4-napi';

/** What L1 and L2 know about a cached value besides the value itself. */
export interface EntryMeta {
  /** After this instant (epoch ms) the value is stale; `Infinity` never. */
  expiresAt: number;
  /** Until this instant a stale value may still be served (grace). */
  staleUntil: number;
  tags: readonly string[];
}

/** A decoded entry as the cache works with it. */
export interface Entry extends EntryMeta {
  value: unknown;
  /** Reads since it was stored, for adaptive TTL and the hot-key snapshot. */
  reads: number;
}

/**
 * Builds an entry as a literal of one fixed shape. Object spread here made every entry a
 * differently shaped object and hot-tier reads several times slower (measured in bench/).
 */
export function entryOf(meta: EntryMeta, value: unknown, reads: number): Entry {
  return { value, expiresAt: meta.expiresAt, staleUntil: meta.staleUntil, tags: meta.tags, reads };
}

interface HotEntry extends Entry {
  size: number;
}

interface Packed extends EntryMeta {
  bytes: Buffer;
  rawBytes: number;
  reads: number;
}

/** Limits of the two L1 tiers. */
export interface L1Limits {
  hotMaxEntries: number;
  hotMaxBytes: number;
  compressedMaxBytes: number;
  compressThresholdBytes: number;
}

/** Per-entry bookkeeping that lru-cache's size counts on top of the payload. */
const overhead = 64;

/**
 * The in-process tiers. Small values live in the hot LRU by reference; values of at least
 * `compressThresholdBytes` are kept LZ4-compressed, and the ones read again are promoted to the
 * hot LRU, so the hottest keys cost one Map lookup and the long tail takes several times less RAM.
 */
export function createL1(limits: L1Limits, parse: (text: string) => unknown) {
  const counters = { hotHits: 0, compressedHits: 0, misses: 0, hotEvictions: 0, compressedEvictions: 0, rawBytes: 0 };
  const hot =
    limits.hotMaxEntries > 0
      ? new LRUCache<string, HotEntry>({
          max: limits.hotMaxEntries,
          maxSize: limits.hotMaxBytes,
          sizeCalculation: (entry) => entry.size,
          dispose: (_value, _key, reason) => {
            if (reason === 'evict') counters.hotEvictions++;
          },
        })
      : undefined;
  const compressed = new LRUCache<string, Packed>({
    maxSize: limits.compressedMaxBytes,
    sizeCalculation: (entry) => entry.bytes.length + overhead,
    dispose: (value, _key, reason) => {
      counters.rawBytes -= value.rawBytes;
      if (reason === 'evict') counters.compressedEvictions++;
    },
  });

  const putHot = (key: string, entry: Entry, size: number) => {
    if (!hot || size + overhead > limits.hotMaxBytes) return;
    const { value, expiresAt, staleUntil, tags, reads } = entry;
    hot.set(key, { value, expiresAt, staleUntil, tags, reads, size: size + overhead });
  };

  return {
    /** Stores an entry whose serialized form is `text`. */
    set(key: string, entry: Entry, text: string): void {
      hot?.delete(key);
      compressed.delete(key);
      if (text.length < limits.compressThresholdBytes) {
        putHot(key, entry, text.length);
        return;
      }
      const raw = Buffer.from(text);
      const bytes = compressSync(raw);
      if (bytes.length + overhead > limits.compressedMaxBytes) return;
      const rawBytes = raw.length;
      compressed.set(key, {
        expiresAt: entry.expiresAt,
        staleUntil: entry.staleUntil,
        tags: entry.tags,
        reads: 0,
        bytes,
        rawBytes,
      });
      counters.rawBytes += rawBytes;
    },
    /** The entry, fresh or stale, or undefined; counts the read. */
    get(key: string): Entry | undefined {
      const found = hot?.get(key);
      if (found) {
        counters.hotHits++;
        found.reads++;
        return found;
      }
      const packed = compressed.get(key);
      if (!packed) {
        counters.misses++;
        return undefined;
      }
      counters.compressedHits++;
      packed.reads++;
      const entry = entryOf(packed, parse(uncompressSync(packed.bytes).toString()), packed.reads);
      if (packed.reads > 1) putHot(key, entry, packed.rawBytes);
      return entry;
    },
    delete(key: string): void {
      hot?.delete(key);
      compressed.delete(key);
    },
    /** Deletes the keys matching `predicate` and returns them. */
    deleteWhere(predicate: (key: string, meta: EntryMeta) => boolean): string[] {
      const gone: string[] = [];
      for (const tier of [hot, compressed]) {
        if (!tier) continue;
        for (const [key, meta] of tier.entries()) if (predicate(key, meta)) gone.push(key);
      }
      for (const key of gone) this.delete(key);
      return gone;
    },
    /** Entries ordered by reads, most read first, for the hot-key snapshot. */
    hottest(limit: number): Array<{ key: string; reads: number }> {
      const reads = new Map<string, number>();
      for (const [key, entry] of compressed.entries()) reads.set(key, entry.reads);
      for (const [key, entry] of hot?.entries() ?? []) reads.set(key, Math.max(entry.reads, reads.get(key) ?? 0));
      return [...reads]
        .sort((a, b) => b[1] - a[1])
        .slice(0, limit)
        .map(([key, count]) => ({ key, reads: count }));
    },
    stats() {
      const compressedBytes = compressed.calculatedSize;
      const payload = compressedBytes - compressed.size * overhead;
      return {
        hot: {
          hits: counters.hotHits,
          entries: hot?.size ?? 0,
          bytes: hot?.calculatedSize ?? 0,
          evictions: counters.hotEvictions,
        },
        compressed: {
          hits: counters.compressedHits,
          entries: compressed.size,
          bytes: compressedBytes,
          rawBytes: counters.rawBytes,
          savedBytes: Math.max(0, counters.rawBytes - payload),
          ratio: payload > 0 ? Math.round((counters.rawBytes / payload) * 100) / 100 : 0,
          evictions: counters.compressedEvictions,
        },
        misses: counters.misses,
      };
    },
  };
}

/** The L1 tiers created by {@link createL1}. */
export type L1 = ReturnType<typeof createL1>;
