import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestTracker } from '../requests.js';

/** Options of {@link trackHttp}. */
export interface TrackHttpOptions {
  /** Maps a request to its route pattern; required because raw URLs would make cardinality unbounded. */
  route(request: IncomingMessage): string;
  /** Extracts the session id counted for active users. Default: none. */
  session?(request: IncomingMessage): string | undefined;
}

/** Wraps a node:http handler so every finished response is recorded in `tracker`. */
export function trackHttp<Request extends IncomingMessage, Response extends ServerResponse>(
  tracker: Pick<RequestTracker, 'record'>,
  options: TrackHttpOptions,
  handler: (request: Request, response: Response) => void,
): (request: Request, response: Response) => void {
  return (request, response) => {
    const start = performance.now();
    response.once('finish', () => {
      tracker.record({
        method: request.method ?? 'GET',
        route: options.route(request),
        statusCode: response.statusCode,
        durationMs: performance.now() - start,
        sessionId: options.session?.(request),
      });
    });
    handler(request, response);
  };
}
