import { createServer } from 'node:http';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { trackFastify } from '../src/adapters/fastify.js';
import { trackHttp } from '../src/adapters/http.js';
import { createRequestTracker, InvalidOptionError } from '../src/index.js';

describe('createRequestTracker', () => {
  it('computes error rate, percentiles and distinct active sessions', () => {
    const tracker = createRequestTracker();
    for (let i = 1; i <= 100; i++) {
      tracker.record({
        method: 'GET',
        route: '/a',
        statusCode: i <= 5 ? 500 : 200,
        durationMs: i,
        sessionId: `s${i % 7}`,
      });
    }
    const stats = tracker.stats();
    expect(stats).toMatchObject({ requests: 100, errors: 5, errorRatePercent: 5, activeUsers: 7 });
    expect(stats.latency).toEqual({ p50: 50, p95: 95, p99: 99 });
    expect(stats.routes['GET /a']?.count).toBe(100);
  });

  it('groups routes beyond maxRoutes under other so cardinality stays bounded', () => {
    const tracker = createRequestTracker({ maxRoutes: 2 });
    for (const route of ['/a', '/b', '/c', '/d'])
      tracker.record({ method: 'GET', route, statusCode: 200, durationMs: 1 });
    expect(Object.keys(tracker.stats().routes)).toEqual(['GET /a', 'GET /b', 'other']);
    expect(tracker.stats().routes.other?.count).toBe(2);
  });

  it('rejects a non-integer maxRoutes at construction', () => {
    expect(() => createRequestTracker({ maxRoutes: 1.5 })).toThrow(InvalidOptionError);
  });
});

describe('trackFastify', () => {
  it('records requests under their route pattern, not the raw URL', async () => {
    const tracker = createRequestTracker();
    const app = Fastify();
    trackFastify(app, tracker, { session: (request) => request.headers['x-session'] as string | undefined });
    app.get('/courses/:id', async () => ({ ok: true }));
    app.get('/boom', async () => {
      throw new Error('boom');
    });
    await app.inject({ url: '/courses/1', headers: { 'x-session': 'alice' } });
    await app.inject({ url: '/courses/2', headers: { 'x-session': 'bob' } });
    await app.inject({ url: '/boom', headers: { 'x-session': 'alice' } });
    await app.close();
    const stats = tracker.stats();
    expect(Object.keys(stats.routes).sort()).toEqual(['GET /boom', 'GET /courses/:id']);
    expect(stats.routes['GET /courses/:id']?.count).toBe(2);
    expect(stats).toMatchObject({ requests: 3, errors: 1, activeUsers: 2 });
  });
});

describe('trackHttp', () => {
  it('records each finished node:http response with the mapped route', async () => {
    const tracker = createRequestTracker();
    const server = createServer(
      trackHttp(
        tracker,
        { route: (request) => (request.url?.startsWith('/lesson/') ? '/lesson/:id' : 'other') },
        (_, response) => {
          response.statusCode = 503;
          response.end('busy');
        },
      ),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await (await fetch(`http://127.0.0.1:${port}/lesson/7`)).text();
    await (await fetch(`http://127.0.0.1:${port}/lesson/8`)).text();
    await new Promise((resolve) => server.close(resolve));
    expect(tracker.stats().routes['GET /lesson/:id']).toMatchObject({ count: 2, errors: 2 });
  });
});
