import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { createStaticServer } from '@pilms/media-optimizer';
import { mediaPlugin } from '@pilms/media-optimizer/fastify';
import type { FastifyInstance } from 'fastify';
import { avDefaults } from '../av.js';
import { all, type Web } from '../web.js';

const publicDir = resolve(import.meta.dirname, '../../public');

// Originals are named by their sniffed format (uploads) or come from the fixtures (seed).
const originalTypes: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  heic: 'image/heic',
  tiff: 'image/tiff',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  webm: 'video/webm',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  flac: 'audio/flac',
  m4a: 'audio/mp4',
};

/**
 * The progressive scripts of `public/`, the lesson media originals (signed-in users only) and the transcoded
 * video and audio under `/media/av/` (content-addressed, so public and cached forever like image variants).
 */
export function fileRoutes(app: FastifyInstance, web: Web, mediaDir: string): void {
  const { guard } = web;
  const avDir = join(mediaDir, avDefaults.dir);
  mkdirSync(avDir, { recursive: true });
  // Range requests (206, 416, accept-ranges) let phones seek; traversal and symlink escapes are refused.
  void app.register(mediaPlugin, { server: createStaticServer({ root: avDir }), prefix: `/media/${avDefaults.dir}` });
  // nginx serves /static/ itself in production (deploy/); this keeps a bare `npm start` complete.
  app.get('/static/:name', async (request, reply) => {
    const name = (request.params as { name: string }).name;
    if (!/^[\w-]+\.(js|css)$/.test(name) || !existsSync(join(publicDir, name))) {
      return reply.code(404).type('text/plain').send('not found');
    }
    reply.header('cache-control', 'public, max-age=604800');
    return reply
      .type(name.endsWith('.js') ? 'text/javascript' : 'text/css')
      .send(createReadStream(join(publicDir, name)));
  });

  app.get('/media/:name', async (request, reply) => {
    const ctx = guard(request, reply, all);
    if (!ctx) return reply;
    const name = (request.params as { name: string }).name;
    const path = resolve(mediaDir, name);
    if (!/^[\w.-]+$/.test(name) || !path.startsWith(mediaDir + sep) || !existsSync(path) || !statSync(path).isFile()) {
      return reply.code(404).type('text/plain').send('not found');
    }
    const type = originalTypes[extname(name).slice(1)] ?? 'application/octet-stream';
    reply.header('cache-control', 'private, max-age=86400');
    reply.header('content-length', statSync(path).size);
    return reply.type(type).send(createReadStream(join(mediaDir, name)));
  });
}
