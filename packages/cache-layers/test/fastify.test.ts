import Fastify from 'fastify';
import { expect, it } from 'vitest';
import { registerHttpCache } from '../src/adapters/fastify.js';
import { createCache } from '../src/index.js';
import { courseBody, describeHttpCaching } from './http-suite.js';

function build(options: Parameters<typeof registerHttpCache>[1]) {
  const app = Fastify();
  const httpCache = registerHttpCache(app, options);
  let runs = 0;
  const route = async (request: { params: unknown; headers: Record<string, unknown> }) => {
    runs++;
    return courseBody((request.params as { id: string }).id, request.headers['x-user'] as string | undefined);
  };
  app.get('/courses/:id', async (request, reply) => {
    reply.type('application/json');
    return route(request);
  });
  app.post('/courses/:id', route);
  return { app, httpCache, runs: () => runs };
}

describeHttpCaching('Fastify (app.inject)', async (options) => {
  const { app, httpCache, runs } = build(options);
  await app.ready();
  return {
    async request(method, path, headers = {}) {
      const response = await app.inject({ method: method as 'GET', url: path, headers });
      return { status: response.statusCode, headers: response.headers as Record<string, string>, body: response.body };
    },
    runs,
    invalidate: httpCache.invalidate,
    close: () => app.close(),
  };
});

it('serves cached Fastify responses over a real socket', async () => {
  const { app, runs } = build({ cache: createCache().namespace('http') });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const first = await fetch(`${address}/courses/9`);
  const second = await fetch(`${address}/courses/9`, { headers: { 'if-none-match': first.headers.get('etag') ?? '' } });
  expect(await first.text()).toBe(courseBody('9', undefined));
  expect(second.status).toBe(304);
  expect(second.headers.get('x-cache')).toBe('HIT');
  expect(runs()).toBe(1);
  await app.close();
});
