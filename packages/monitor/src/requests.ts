import { defaults } from './defaults.js';
import { InvalidOptionError } from './errors.js';
import { type Percentiles, percentiles } from './percentiles.js';

/** Options of {@link createRequestTracker}. */
export interface RequestTrackerOptions {
  /** Distinct route patterns kept; later ones are counted under `other`. Default `200`. */
  maxRoutes?: number;
  /** A session is an active user if seen within this window, in ms. Default `300000` (5 min). */
  activeUserWindowMs?: number;
  /** Durations kept per route for percentiles (a ring buffer). Default `1024`. */
  samplesPerRoute?: number;
}

/** One finished request. `route` must be the route pattern (`/courses/:id`), never the raw URL. */
export interface RequestRecord {
  method: string;
  route: string;
  statusCode: number;
  durationMs: number;
  /** Session or user id, counted for active users. */
  sessionId?: string | undefined;
}

/** Per-route counters and latency. */
export interface RouteStats {
  count: number;
  errors: number;
  latency: Percentiles;
}

/** Shape of {@link RequestTracker.stats}. */
export interface RequestStats {
  requests: number;
  /** Responses with status >= 500. */
  errors: number;
  errorRatePercent: number;
  activeUsers: number;
  latency: Percentiles;
  /** Keyed by `METHOD route`. */
  routes: Record<string, RouteStats>;
}

/** Framework-free request timing; the Fastify and node:http adapters feed it. */
export interface RequestTracker {
  record(request: RequestRecord): void;
  stats(): RequestStats;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new InvalidOptionError(name, 'an integer >= 1', value);
  return value;
}

class Ring {
  private readonly values: number[] = [];
  private next = 0;
  constructor(private readonly size: number) {}
  push(value: number): void {
    if (this.values.length < this.size) this.values.push(value);
    else this.values[this.next] = value;
    this.next = (this.next + 1) % this.size;
  }
  all(): readonly number[] {
    return this.values;
  }
}

/** Creates a request tracker with bounded route cardinality. */
export function createRequestTracker(options: RequestTrackerOptions = {}): RequestTracker {
  const maxRoutes = positiveInteger('maxRoutes', options.maxRoutes ?? defaults.maxRoutes);
  const windowMs = positiveInteger('activeUserWindowMs', options.activeUserWindowMs ?? defaults.activeUserWindowMs);
  const samples = positiveInteger('samplesPerRoute', options.samplesPerRoute ?? 1024);
  const routes = new Map<string, { count: number; errors: number; ring: Ring }>();
  const all = new Ring(samples);
  const sessions = new Map<string, number>();
  let requests = 0;
  let errors = 0;
  return {
    record(request) {
      const wanted = `${request.method} ${request.route}`;
      const key = routes.has(wanted) || routes.size < maxRoutes ? wanted : 'other';
      const route = routes.get(key) ?? { count: 0, errors: 0, ring: new Ring(samples) };
      routes.set(key, route);
      const failed = request.statusCode >= 500;
      route.count++;
      route.ring.push(request.durationMs);
      all.push(request.durationMs);
      requests++;
      if (failed) {
        route.errors++;
        errors++;
      }
      if (request.sessionId !== undefined) {
        // Re-inserting keeps the map ordered by last activity, so expiry only looks at the head.
        sessions.delete(request.sessionId);
        sessions.set(request.sessionId, Date.now());
      }
    },
    stats() {
      const cutoff = Date.now() - windowMs;
      for (const [id, seen] of sessions) {
        if (seen >= cutoff) break;
        sessions.delete(id);
      }
      return {
        requests,
        errors,
        errorRatePercent: requests === 0 ? 0 : (100 * errors) / requests,
        activeUsers: sessions.size,
        latency: percentiles(all.all()),
        routes: Object.fromEntries(
          [...routes].map(([key, route]) => [
            key,
            { count: route.count, errors: route.errors, latency: percentiles(route.ring.all()) },
          ]),
        ),
      };
    },
  };
}
