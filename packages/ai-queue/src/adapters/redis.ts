import { randomUUID } from 'node:crypto';
import type { Redis, RedisOptions } from 'ioredis';
import { PilmsAiQueueError } from '../errors.js';
import { InvalidLimiterOptionError, validateLimiterOptions } from '../limiter-options.js';
import { type AcquireOptions, LocalSemaphore, type SlotLease, type SlotLimiter } from '../slot-limiter.js';

/** Redis failed while the limiter coordinated and `onRedisError` is `'fail'`. */
export class CoordinationLostError extends PilmsAiQueueError {
  constructor(
    readonly key: string,
    options?: ErrorOptions,
  ) {
    super(
      `Lost Redis while coordinating AI slots under "${key}"; check Redis, or set \`onRedisError: 'local'\` to fall back to a per-process limit`,
      'ERR_AI_QUEUE_COORDINATION_LOST',
      options,
    );
  }
}

/** Options of {@link createRedisLimiter}. */
export interface RedisLimiterOptions {
  /** An ioredis client (not closed by the limiter) or a URL / options to create one (closed by `close()`). */
  redis: Redis | string | RedisOptions;
  /** Key prefix shared by all processes using the same slots; default `pilms:ai-queue`. */
  key?: string;
  /** Model calls allowed at once across every process; default 1 (one Ollama with NUM_PARALLEL=1). */
  slots?: number;
  /** A holder that stops renewing (crashed process) loses its slot after this long, ms; default 30000. */
  leaseMs?: number;
  /** How often a waiter re-checks for a free slot, ms; default 25. */
  pollMs?: number;
  /**
   * What to do when Redis fails: `'local'` (default) keeps serving with an in-process limit of `slots`, so the LMS
   * keeps answering (the global cap degrades to per-process); `'fail'` rejects with {@link CoordinationLostError}.
   */
  onRedisError?: 'local' | 'fail';
}

/** Defaults of {@link createRedisLimiter}. */
export const redisLimiterDefaults = {
  key: 'pilms:ai-queue',
  slots: 1,
  leaseMs: 30_000,
  pollMs: 25,
  onRedisError: 'local',
} as const;

// Holders: zset token -> lease expiry. Waiters: zset token -> order (priority, then arrival); their heartbeats in a
// third zset, so a waiter whose process died is dropped instead of blocking the line forever. Server time is used so
// processes with skewed clocks agree.
const tryAcquireScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local dead = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
for _, token in ipairs(dead) do
  redis.call('ZREM', KEYS[2], token)
  redis.call('ZREM', KEYS[3], token)
end
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  local seq = redis.call('INCR', KEYS[4])
  redis.call('ZADD', KEYS[2], tonumber(ARGV[4]) * 1e12 + seq, ARGV[1])
end
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]), ARGV[1])
local free = tonumber(ARGV[3]) - redis.call('ZCARD', KEYS[1])
if redis.call('ZRANK', KEYS[2], ARGV[1]) < free then
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
  return 1
end
return 0
`;

const renewScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[1])
`;

async function connect(redis: RedisLimiterOptions['redis']): Promise<{ client: Redis; owned: boolean }> {
  if (typeof redis === 'object' && 'duplicate' in redis) return { client: redis, owned: false };
  let RedisClient: typeof Redis;
  try {
    RedisClient = (await import('ioredis')).Redis;
  } catch (error) {
    throw new InvalidLimiterOptionError('`@pilms/ai-queue/redis` needs ioredis: run `npm install ioredis`', {
      cause: error,
    });
  }
  const options: RedisOptions = { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false };
  const client =
    typeof redis === 'string'
      ? new RedisClient(redis, options)
      : new RedisClient({ ...options, ...(redis as RedisOptions) });
  // Errors surface through the commands; without a listener ioredis would log every reconnect attempt.
  client.on('error', () => {});
  // Commands fail fast while disconnected (no offline queue), so wait for the first connection before using it.
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve);
    client.once('error', (error) => {
      client.disconnect();
      reject(new CoordinationLostError('(connecting)', { cause: error }));
    });
  });
  return { client, owned: true };
}

/**
 * A global slot limiter in Redis: every process of the LMS (and every queue in it) shares `slots` concurrent model
 * calls, served by priority then arrival, with leases that expire if a holder dies.
 */
export async function createRedisLimiter(options: RedisLimiterOptions): Promise<RedisLimiter> {
  const settings = { ...redisLimiterDefaults, ...options };
  validateLimiterOptions({ slots: settings.slots, leaseMs: settings.leaseMs, pollMs: settings.pollMs });
  const { client, owned } = await connect(options.redis);
  const keys = ['holders', 'waiters', 'heartbeats', 'seq'].map((name) => `${settings.key}:${name}`);
  const local = new LocalSemaphore(settings.slots);
  const counters = { granted: 0, degraded: 0, redisErrors: 0, leasesLost: 0 };
  const held = new Set<string>();
  let waiting = 0;
  let closed = false;

  const lostError = (cause: unknown) => new CoordinationLostError(settings.key, { cause });

  async function viaRedis(token: string, priority: number, signal: AbortSignal | undefined): Promise<SlotLease> {
    for (;;) {
      if (signal?.aborted) {
        await client.zrem(keys[1] as string, token).catch(() => 0);
        throw signal.reason;
      }
      const won = await client.eval(tryAcquireScript, 4, ...keys, token, settings.leaseMs, settings.slots, priority);
      if (won === 1) return leaseFor(token);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, settings.pollMs);
        signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
  }

  function leaseFor(token: string): SlotLease {
    counters.granted++;
    held.add(token);
    const renew = setInterval(() => {
      client.eval(renewScript, 1, keys[0] as string, token, settings.leaseMs).then(
        (changed) => {
          if (changed === 0 && held.has(token)) counters.leasesLost++;
        },
        () => counters.redisErrors++,
      );
    }, settings.leaseMs / 3);
    renew.unref();
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(renew);
        held.delete(token);
        // If Redis is gone the lease simply expires after leaseMs; releasing must not throw into the caller.
        await client.zrem(keys[0] as string, token).catch(() => counters.redisErrors++);
      },
    };
  }

  return {
    async acquire(acquireOptions: AcquireOptions = {}): Promise<SlotLease> {
      if (closed) throw new InvalidLimiterOptionError('The Redis limiter is closed');
      waiting++;
      try {
        return await viaRedis(randomUUID(), acquireOptions.priority ?? 0, acquireOptions.signal);
      } catch (error) {
        if (acquireOptions.signal?.aborted) throw error;
        counters.redisErrors++;
        if (settings.onRedisError === 'fail') throw lostError(error);
        counters.degraded++;
        return local.acquire(acquireOptions);
      } finally {
        waiting--;
      }
    },
    stats: () => ({ slots: settings.slots, held: held.size, waiting, ...counters, local: local.stats() }),
    async close() {
      if (closed) return;
      closed = true;
      if (owned) client.disconnect();
    },
  };
}

/** The limiter returned by {@link createRedisLimiter}. */
export interface RedisLimiter extends SlotLimiter {
  stats(): RedisLimiterStats;
}

/** `stats()` of the Redis limiter. */
export interface RedisLimiterStats {
  slots: number;
  /** Leases this process holds in Redis. */
  held: number;
  waiting: number;
  granted: number;
  /** Acquisitions served by the local fallback because Redis failed. */
  degraded: number;
  redisErrors: number;
  /** Renewals that found the lease gone (it expired, e.g. after a long event-loop stall). */
  leasesLost: number;
  local: { slots: number; held: number; waiting: number; granted: number };
}
