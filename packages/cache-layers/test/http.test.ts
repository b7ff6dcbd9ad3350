import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpCache } from '../src/adapters/http.js';
import { courseBody, describeHttpCaching } from './http-suite.js';

describeHttpCaching('node:http (real server)', async (options) => {
  const httpCache = createHttpCache(options);
  let runs = 0;
  const server = createServer(
    httpCache.wrap((request, response) => {
      runs++;
      response.setHeader('Content-Type', 'application/json');
      // Written in two chunks to prove the wrapper buffers before it hashes.
      const body = courseBody(request.url?.split('/')[2] ?? '', request.headers['x-user'] as string | undefined);
      response.write(body.slice(0, 5));
      response.end(body.slice(5));
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    async request(method, path, headers = {}) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers });
      return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
    },
    runs: () => runs,
    invalidate: httpCache.invalidate,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
});
