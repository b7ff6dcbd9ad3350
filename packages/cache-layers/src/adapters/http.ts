import type { IncomingMessage, ServerResponse } from 'node:http';
import { createResponseCache, type PreparedResponse, type ResponseCacheOptions } from '../http/response-cache.js';

/** A `node:http` request handler. */
export type HttpHandler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

function send(response: ServerResponse, prepared: PreparedResponse, state: 'HIT' | 'MISS'): void {
  response.statusCode = prepared.status;
  for (const [name, value] of Object.entries(prepared.headers)) response.setHeader(name, value);
  response.setHeader('x-cache', state);
  if (prepared.status !== 304) response.setHeader('content-length', prepared.body.length);
  response.end(prepared.body);
}

function lowerCaseHeaders(response: ServerResponse): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.getHeaders())) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return headers;
}

/**
 * HTTP caching for `node:http`: wraps a handler so GET responses get ETag, Last-Modified and
 * Cache-Control, conditional requests get 304, and (with `cache`) responses are served from the
 * server-side cache. Returns the wrapper plus `invalidate(tag)` and `stats()`.
 */
export function createHttpCache(options: ResponseCacheOptions = {}) {
  const core = createResponseCache(options);

  const wrap =
    (handler: HttpHandler): HttpHandler =>
    async (request, response) => {
      const cached = await core.lookup(request);
      if (cached) {
        send(response, cached, 'HIT');
        return;
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        await handler(request, response);
        return;
      }
      // Buffer the handler's body so the ETag can be computed before anything is sent.
      const chunks: Buffer[] = [];
      const toBuffer = (chunk: unknown) =>
        typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
      const end = response.end.bind(response);
      response.write = ((chunk: unknown) => {
        chunks.push(toBuffer(chunk));
        return true;
      }) as ServerResponse['write'];
      response.end = ((chunk?: unknown) => {
        if (chunk !== undefined && typeof chunk !== 'function') chunks.push(toBuffer(chunk));
        response.end = end;
        const headers = lowerCaseHeaders(response);
        delete headers['content-length'];
        void core
          .complete(request, response.statusCode, headers, Buffer.concat(chunks))
          .then((prepared) => send(response, prepared, 'MISS'))
          .catch(() => {
            response.statusCode = 500;
            end();
          });
        return response;
      }) as ServerResponse['end'];
      await handler(request, response);
    };

  return { wrap, invalidate: core.invalidate, stats: core.stats };
}

export type { ResponseCacheOptions } from '../http/response-cache.js';
export { cacheControlPresets, createEtag, isNotModified } from '../http/validators.js';
