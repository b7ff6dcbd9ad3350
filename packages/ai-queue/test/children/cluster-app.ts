// A real node:cluster app: the primary owns the limiter, workers ask it over IPC. Prints one JSON line of results.
import cluster from 'node:cluster';
import { createClusterLimiter } from '../../src/adapters/cluster.js';

const scenario = process.argv[2] ?? 'share';
const limiter = createClusterLimiter({ slots: 2, channel: 'test' });

if (cluster.isPrimary) {
  let active = 0;
  let peak = 0;
  let done = 0;
  const workers = scenario === 'crash' ? 2 : 3;
  cluster.on('message', (_worker, message: { event?: string }) => {
    if (message.event === 'start') peak = Math.max(peak, ++active);
    if (message.event === 'end') active--;
    if (message.event === 'done' && ++done === workers - (scenario === 'crash' ? 1 : 0)) {
      process.stdout.write(`${JSON.stringify({ peak, stats: limiter.stats() })}\n`);
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
    }
  });
  if (scenario === 'crash') {
    // The survivor starts only once the crashed worker is gone, so it can only reach 2 at once if both slots came back.
    cluster.fork({ ROLE: '0' }).on('exit', () => cluster.fork({ ROLE: '1' }));
  } else for (let i = 0; i < workers; i++) cluster.fork({ ROLE: String(i) });
} else {
  const send = (event: string) => process.send?.({ event });
  if (scenario === 'crash' && process.env.ROLE === '0') {
    // Takes both slots and dies without releasing: the primary must give them back.
    await limiter.acquire();
    await limiter.acquire();
    process.exit(1);
  }
  const controller = new AbortController();
  const abandoned = limiter.acquire({ signal: controller.signal, priority: 9 }).catch(() => 'aborted');
  controller.abort();
  await abandoned;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      const lease = await limiter.acquire();
      send('start');
      await new Promise((resolve) => setTimeout(resolve, 15));
      send('end');
      await lease.release();
    }),
  );
  send('done');
}
