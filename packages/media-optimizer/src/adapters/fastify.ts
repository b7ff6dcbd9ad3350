import { createReadStream } from 'node:fs';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { type MediaServer, toMediaRequest } from '../serve.js';

/** Options of {@link mediaPlugin}. */
export interface MediaPluginOptions {
  /** An image server (`createImageServer`) or static media server (`createStaticServer`). Required. */
  server: MediaServer;
}

/**
 * A Fastify plugin serving `GET`/`HEAD` under the plugin's prefix from a media server:
 * `app.register(mediaPlugin, { server, prefix: '/media/images' })`.
 */
export const mediaPlugin: FastifyPluginAsync<MediaPluginOptions> = async (fastify, options) => {
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const request = toMediaRequest(req.method, req.url, req.headers, fastify.prefix);
    if (!request) return reply.code(404).send();
    const response = await options.server.handle(request);
    reply.code(response.status);
    reply.headers(response.headers);
    if (response.body === null || typeof response.body === 'string') return reply.send(response.body ?? undefined);
    return reply.send(createReadStream(response.body.path, { start: response.body.start, end: response.body.end }));
  };
  fastify.route({ method: ['GET', 'HEAD'], url: '/', exposeHeadRoute: false, handler });
  fastify.route({ method: ['GET', 'HEAD'], url: '/*', exposeHeadRoute: false, handler });
};
