import { Agent, createServer, get } from 'node:http';
import { percentile } from '../support/stats.js';

/** A cheap LMS-like page: a small HTML list rendered per request. */
export async function startCheapPage(): Promise<{ url: string; close(): Promise<void> }> {
  const items = Array.from({ length: 40 }, (_, i) => ({ id: i, title: `Lesson ${i}` }));
  const server = createServer((_, res) => {
    const html = `<ul>${items.map((item) => `<li><a href="/l/${item.id}">${item.title}</a></li>`).join('')}</ul>`;
    res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Requests the page from `connections` keep-alive clients for `durationMs`; returns latency percentiles in ms. */
export async function measureLatency(url: string, durationMs: number, connections = 4) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const samples: number[] = [];
  const deadline = performance.now() + durationMs;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const start = performance.now();
      get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => {
          samples.push(performance.now() - start);
          resolve();
        });
      }).on('error', reject);
    });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) await one();
    }),
  );
  agent.destroy();
  return { requests: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99) };
}
