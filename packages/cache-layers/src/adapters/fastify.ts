import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createResponseCache, type PreparedResponse, type ResponseCacheOptions } from '../http/response-cache.js';

function apply(reply: FastifyReply, prepared: PreparedResponse, state: 'HIT' | 'MISS'): void {
  reply.code(prepared.status);
  reply.headers(prepared.headers);
  reply.header('x-cache', state);
}

function responseHeaders(reply: FastifyReply): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  delete headers['content-length'];
  return headers;
}

/**
 * HTTP caching for Fastify: registers hooks that answer from the server-side cache, add ETag,
 * Last-Modified and Cache-Control to GET responses and answer conditional requests with 304.
 * Call it on the instance (or an encapsulated child) whose routes should be cached; it returns
 * `invalidate(tag)` and `stats()`.
 */
export function registerHttpCache(app: FastifyInstance, options: ResponseCacheOptions = {}) {
  const core = createResponseCache(options);

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const cached = await core.lookup(request.raw);
    if (!cached) return;
    apply(reply, cached, 'HIT');
    await reply.send(cached.body);
    return reply;
  });

  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (reply.getHeader('x-cache') === 'HIT') return payload;
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    const prepared = await core.complete(request.raw, reply.statusCode, responseHeaders(reply), Buffer.from(payload));
    apply(reply, prepared, 'MISS');
    return prepared.body;
  });

  return { invalidate: core.invalidate, stats: core.stats };
}

export type { ResponseCacheOptions } from '../http/response-cache.js';
export { cacheControlPresets, createEtag, isNotModified } from '../http/validators.js';
