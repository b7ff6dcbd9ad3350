import { afterEach, describe, expect, it } from 'vitest';
import { createCache, type ResponseCacheOptions } from '../src/index.js';

/** A response as the suite sees it. */
export interface SeenResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

/** A started app whose `/courses/:id` route counts its runs. */
export interface TestApp {
  request(method: string, path: string, headers?: Record<string, string>): Promise<SeenResponse>;
  runs(): number;
  invalidate(tag: string): Promise<void>;
  close(): Promise<void>;
}

/** Body the route sends for course `id` to `user`. */
export const courseBody = (id: string, user: string | undefined) =>
  JSON.stringify({ id, user: user ?? null, title: 'Fractions' });

/** The one suite both HTTP adapters pass. */
export function describeHttpCaching(name: string, start: (options: ResponseCacheOptions) => Promise<TestApp>): void {
  describe(`${name} HTTP caching`, () => {
    const apps: TestApp[] = [];
    const open = async (options: ResponseCacheOptions = {}) => {
      const app = await start({
        cache: createCache().namespace('http'),
        user: (request) => request.headers['x-user'] as string | undefined,
        tags: (request) => [`course:${request.url?.split('/')[2]}`],
        ...options,
      });
      apps.push(app);
      return app;
    };
    afterEach(async () => {
      await Promise.all(apps.splice(0).map((app) => app.close()));
    });

    it('adds validators and Cache-Control, then serves repeated GETs from the server-side cache', async () => {
      const app = await open();
      const first = await app.request('GET', '/courses/1');
      expect(first.status).toBe(200);
      expect(first.body).toBe(courseBody('1', undefined));
      expect(first.headers.etag).toMatch(/^"[\w-]{27}"$/);
      expect(first.headers['last-modified']).toBeDefined();
      expect(first.headers['cache-control']).toBe('private, max-age=300');
      expect(first.headers.vary).toBe('accept-encoding');
      expect(first.headers['x-cache']).toBe('MISS');
      const second = await app.request('GET', '/courses/1');
      expect(second).toMatchObject({ status: 200, body: first.body });
      expect(second.headers['x-cache']).toBe('HIT');
      expect(second.headers.etag).toBe(first.headers.etag);
      expect(app.runs()).toBe(1);
    });

    it('answers 304 to matching If-None-Match (strong or weak) and If-Modified-Since', async () => {
      const app = await open();
      const { headers } = await app.request('GET', '/courses/2');
      const etag = headers.etag ?? '';
      expect((await app.request('GET', '/courses/2', { 'if-none-match': etag })).status).toBe(304);
      expect((await app.request('GET', '/courses/2', { 'if-none-match': `"other", W/${etag}` })).status).toBe(304);
      const mismatch = await app.request('GET', '/courses/2', { 'if-none-match': '"other"' });
      expect(mismatch).toMatchObject({ status: 200, body: courseBody('2', undefined) });
      const later = new Date(Date.now() + 60_000).toUTCString();
      const earlier = new Date(Date.now() - 3_600_000).toUTCString();
      const notModified = await app.request('GET', '/courses/2', { 'if-modified-since': later });
      expect(notModified.status).toBe(304);
      expect(notModified.body).toBe('');
      expect((await app.request('GET', '/courses/2', { 'if-modified-since': earlier })).status).toBe(200);
    });

    it('answers 304 on the first request too, before anything was cached', async () => {
      const app = await open({ cache: undefined as never });
      const { headers } = await app.request('GET', '/courses/3');
      expect((await app.request('GET', '/courses/3', { 'if-none-match': headers.etag ?? '' })).status).toBe(304);
      expect(app.runs()).toBe(2);
    });

    it('keys cached responses by URL, Vary headers and user', async () => {
      const app = await open();
      const anna = await app.request('GET', '/courses/4', { 'x-user': 'anna' });
      const ben = await app.request('GET', '/courses/4', { 'x-user': 'ben' });
      expect(anna.body).toBe(courseBody('4', 'anna'));
      expect(ben.body).toBe(courseBody('4', 'ben'));
      await app.request('GET', '/courses/4', { 'x-user': 'anna', 'accept-encoding': 'br' });
      expect(app.runs()).toBe(3);
      expect((await app.request('GET', '/courses/4', { 'x-user': 'anna' })).headers['x-cache']).toBe('HIT');
      expect(app.runs()).toBe(3);
    });

    it('runs the handler again after the response tag is invalidated', async () => {
      const app = await open();
      await app.request('GET', '/courses/5');
      await app.request('GET', '/courses/5');
      await app.invalidate('course:5');
      expect((await app.request('GET', '/courses/5')).headers['x-cache']).toBe('MISS');
      expect(app.runs()).toBe(2);
    });

    it('never caches other methods', async () => {
      const app = await open();
      await app.request('POST', '/courses/6');
      const again = await app.request('POST', '/courses/6');
      expect(again.headers.etag).toBeUndefined();
      expect(app.runs()).toBe(2);
    });

    it('sends weak ETags and a preset Cache-Control when configured', async () => {
      const app = await open({ weakEtag: true, cacheControl: 'immutable' });
      const response = await app.request('GET', '/courses/7');
      expect(response.headers.etag).toMatch(/^W\/"/);
      expect(response.headers['cache-control']).toBe('public, max-age=2592000, immutable');
    });
  });
}
