import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestTracker } from '../requests.js';

/** Options of {@link trackFastify}. */
export interface TrackFastifyOptions {
  /** Extracts the session id counted for active users. Default: none. */
  session?(request: FastifyRequest): string | undefined;
}

/**
 * Adds an `onResponse` hook that records each request under its route pattern
 * (`request.routeOptions.url`), or `unmatched` for 404s, keeping cardinality bounded.
 */
export function trackFastify(
  app: FastifyInstance,
  tracker: Pick<RequestTracker, 'record'>,
  options: TrackFastifyOptions = {},
): void {
  app.addHook('onResponse', async (request, reply) => {
    tracker.record({
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      statusCode: reply.statusCode,
      durationMs: reply.elapsedTime,
      sessionId: options.session?.(request),
    });
  });
}
