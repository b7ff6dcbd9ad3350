import { randomUUID } from 'node:crypto';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { BusMessage, CacheBus } from '../bus.js';
import type { CacheStore, ReleaseLock } from '../store.js';

/** A single-node client or a Cluster client: both work through the same store. */
export type RedisClient = Redis | Cluster;

/** Options of {@link createRedisStore} and {@link createRedisBus}. */
export interface RedisStoreOptions {
  /** An ioredis `Redis` or `Cluster` client to use; it is not closed by `close()`. */
  client?: RedisClient;
  /** Connection URL used when no `client` is given, e.g. `redis://127.0.0.1:6379`. */
  url?: string;
  /** Prefix of every Redis key (keep one per app). Default `pilms:`. */
  prefix?: string;
}

/**
 * Clients created here give up on a command after one failed reconnect, so the cache's circuit
 * breaker sees an outage quickly; ioredis keeps reconnecting in the background.
 */
const failFast: RedisOptions = { maxRetriesPerRequest: 1 };

function connect(options: RedisStoreOptions): { client: RedisClient; owned: boolean } {
  if (options.client) return { client: options.client, owned: false };
  const client = new Redis(options.url ?? 'redis://127.0.0.1:6379', failFast);
  // Errors surface through rejected commands; an unhandled 'error' event would crash the process.
  client.on('error', () => {});
  return { client, owned: true };
}

const releaseScript =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

async function scanDelete(node: Redis, match: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 500);
    cursor = next;
    // One key per command keeps the store Cluster-safe (no cross-slot multi-key commands).
    await Promise.all(keys.map((key) => node.unlink(key)));
  } while (cursor !== '0');
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** An L2 {@link CacheStore} on Redis (single node or Cluster), with a lock for cross-process single-flight. */
export function createRedisStore(options: RedisStoreOptions = {}): CacheStore {
  const { client, owned } = connect(options);
  const prefix = options.prefix ?? 'pilms:';
  const dataKey = (key: string) => `${prefix}d:${key}`;
  const tagKey = (tag: string) => `${prefix}t:${tag}`;
  let closed = false;

  return {
    name: 'redis',
    async get(key) {
      return (await client.getBuffer(dataKey(key))) ?? undefined;
    },
    async set(key, bytes, { ttlMs, tags }) {
      const value = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (ttlMs > 0) await client.set(dataKey(key), value, 'PX', Math.ceil(ttlMs));
      else await client.set(dataKey(key), value);
      await Promise.all(tags.map((tag) => client.sadd(tagKey(tag), key)));
    },
    async delete(keys) {
      await Promise.all(keys.map((key) => client.unlink(dataKey(key))));
    },
    async deleteByTag(tag) {
      const keys = await client.smembers(tagKey(tag));
      await Promise.all([...keys.map((key) => client.unlink(dataKey(key))), client.unlink(tagKey(tag))]);
      return keys;
    },
    async clear(keyPrefix) {
      const nodes = client instanceof Cluster ? client.nodes('master') : [client];
      await Promise.all(nodes.map((node) => scanDelete(node, `${escapeGlob(dataKey(keyPrefix))}*`)));
    },
    async lock(key, ttlMs): Promise<ReleaseLock | undefined> {
      const token = randomUUID();
      const name = `${prefix}l:${key}`;
      const taken = await client.set(name, token, 'PX', Math.ceil(ttlMs), 'NX');
      if (taken !== 'OK') return undefined;
      return async () => {
        await client.eval(releaseScript, 1, name, token);
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (owned) client.disconnect();
    },
  };
}

/**
 * A {@link CacheBus} on Redis pub/sub: invalidations reach every process and board using the same
 * Redis. Subscribing needs its own connection, so one is duplicated from the client.
 */
export function createRedisBus(options: RedisStoreOptions = {}): CacheBus {
  const { client, owned } = connect(options);
  const channel = `${options.prefix ?? 'pilms:'}bus`;
  const subscriber = client.duplicate();
  subscriber.on('error', () => {});
  const handlers = new Set<(message: BusMessage) => void>();
  subscriber.on('message', (from: string, text: string) => {
    if (from !== channel) return;
    let message: BusMessage;
    try {
      message = JSON.parse(text) as BusMessage;
    } catch {
      return;
    }
    for (const handler of handlers) handler(message);
  });
  const ready = subscriber.subscribe(channel);
  let closed = false;

  return {
    name: 'redis',
    ready: ready.then(() => undefined),
    async publish(message) {
      await client.publish(channel, JSON.stringify(message));
    },
    subscribe(handler) {
      handlers.add(handler);
    },
    async close() {
      if (closed) return;
      closed = true;
      subscriber.disconnect();
      if (owned) client.disconnect();
    },
  };
}
