/** Where the cache reports an L2 outage (once per outage) and its recovery. */
export interface CacheLogger {
  warn(message: string, details?: Record<string, unknown>): void;
  info?(message: string, details?: Record<string, unknown>): void;
}

/** Options of {@link createGuard}. */
export interface GuardOptions {
  name: string;
  timeoutMs: number;
  breakerMs: number;
  logger: CacheLogger;
}

const timedOut = Symbol('timedOut');

/**
 * A circuit breaker around L2 calls: each call is bounded by `timeoutMs`, a failure opens the
 * circuit for `breakerMs` (calls return the fallback without touching L2), and the next call after
 * that probes L2 again. So a dead or slow Redis costs one timeout per `breakerMs`, not per request.
 */
export function createGuard(options: GuardOptions) {
  const counters = { errors: 0, timeouts: 0, skipped: 0, outages: 0 };
  let openUntil = 0;
  let failing = false;

  const fail = (error: unknown) => {
    counters.errors++;
    openUntil = Date.now() + options.breakerMs;
    if (failing) return;
    failing = true;
    counters.outages++;
    options.logger.warn(
      `@pilms/cache-layers: L2 ${options.name} failed; serving from L1 and loaders until it recovers`,
      {
        error: error instanceof Error ? error.message : String(error),
        retryInMs: options.breakerMs,
      },
    );
  };

  return {
    /** Runs `operation` against L2, or returns `fallback` when L2 is failing; never throws. */
    async call<T>(operation: () => Promise<T>, fallback: T): Promise<T> {
      if (Date.now() < openUntil) {
        counters.skipped++;
        return fallback;
      }
      let timer: NodeJS.Timeout | undefined;
      try {
        const result = await Promise.race([
          operation(),
          new Promise<typeof timedOut>((resolve) => {
            timer = setTimeout(resolve, options.timeoutMs, timedOut);
            timer.unref();
          }),
        ]);
        if (result === timedOut) {
          counters.timeouts++;
          fail(new Error(`no answer within ${options.timeoutMs} ms`));
          return fallback;
        }
        if (failing) {
          failing = false;
          options.logger.info?.(`@pilms/cache-layers: L2 ${options.name} recovered`);
        }
        return result;
      } catch (error) {
        fail(error);
        return fallback;
      } finally {
        clearTimeout(timer);
      }
    },
    stats() {
      return { ...counters, circuitOpen: Date.now() < openUntil ? 1 : 0 };
    },
  };
}

/** The breaker created by {@link createGuard}. */
export type Guard = ReturnType<typeof createGuard>;
