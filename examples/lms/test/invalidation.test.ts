import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../../../test/support/index.js';
import { buildApp, type LmsApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { DashboardPoint } from '../src/monitoring.js';
import { killAll, signIn, startLms, until } from './processes.js';
import { seededDataDir } from './seeded.js';
import { sessionCookie } from './session.js';

const apps: LmsApp[] = [];
let redis: RedisServer | undefined;

afterAll(async () => {
  for (const lms of apps) await lms.close();
  await redis?.stop();
  killAll();
});

const form = { 'content-type': 'application/x-www-form-urlencoded' };

async function title(lms: LmsApp, cookie: string): Promise<string | undefined> {
  const page = (await lms.app.inject({ url: '/courses/1', headers: { cookie } })).body;
  return /<h1>([^<]*)<\/h1>/.exec(page)?.[1];
}

async function busReceived(lms: LmsApp): Promise<number> {
  const { sources } = await lms.monitoring.monitor.tick();
  return (sources.cache as { bus: { received: number } }).bus.received;
}

/** Two app instances on one data dir: a teacher renames course 1 on the first, a student reads it on the second. */
async function renameAcross(env: Record<string, string>): Promise<{ second: LmsApp; seen: string }> {
  const dir = await seededDataDir('pilms-lms-invalidate-');
  const [first, second] = [
    buildApp(loadConfig({ DATA_DIR: dir, ...env })),
    buildApp(loadConfig({ DATA_DIR: dir, ...env })),
  ];
  apps.push(first, second);
  const teacher = await sessionCookie(first.app, 'teacher1@school.test', 'teacher-demo');
  const student = await sessionCookie(second.app, 'student1@school.test', 'student-demo');
  const before = await title(second, student);
  await title(first, teacher);
  const edit = await first.app.inject({ url: '/courses/1/edit', headers: { cookie: teacher } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(edit.body)?.[1] ?? '';
  const renamed = `Renamed ${Date.now()}`;
  const saved = await first.app.inject({
    method: 'POST',
    url: '/courses/1/edit',
    headers: { ...form, cookie: teacher },
    payload: new URLSearchParams({ _csrf: csrf, title: renamed, summary: 'New summary' }).toString(),
  });
  expect(saved.statusCode).toBe(303);
  expect(before).not.toBe(renamed);
  const seen = await until('the second instance to serve the new title', async () =>
    (await title(second, student)) === renamed ? renamed : undefined,
  );
  return { second, seen };
}

describe('content invalidation across workers', () => {
  it('without Redis, shares the SQLite L2 and its change log between two apps on one data dir', async () => {
    const { second, seen } = await renameAcross({});
    expect(seen).toMatch(/^Renamed/);
    expect(await busReceived(second)).toBeGreaterThan(0);
  });

  it('with REDIS_URL, uses Redis as the shared tier and its invalidation bus', async () => {
    redis = await startRedis();
    const { second, seen } = await renameAcross({ REDIS_URL: redis.url });
    expect(seen).toMatch(/^Renamed/);
    expect(await busReceived(second)).toBeGreaterThan(0);
    const client = new Redis(redis.url);
    const keys = await client.keys('pilms-lms:*');
    client.disconnect();
    expect(keys.some((key) => key.includes('course:1'))).toBe(true);
  });

  it('in a node:cluster of two workers, the worker that did not handle the edit serves the new title; /metrics covers both', async () => {
    const lms = await startLms({ WORKERS: '2' });
    const student = await signIn(lms.base, 'student1@school.test', 'student-demo');
    const teacher = await signIn(lms.base, 'teacher1@school.test', 'teacher-demo');
    // Round-robin scheduling: a few reads put course 1 into both workers' L1.
    for (let i = 0; i < 4; i++) expect((await student.get('/courses/1')).ok).toBe(true);
    expect((await teacher.post('/courses/1/edit', { title: 'Cluster-wide title', summary: 'x' })).status).toBe(303);
    const titles = await until('both workers to serve the new title', async () => {
      const seen = [];
      for (let i = 0; i < 4; i++)
        seen.push(/<h1>([^<]*)<\/h1>/.exec(await (await student.get('/courses/1')).text())?.[1]);
      return seen.every((t) => t === 'Cluster-wide title') ? seen : undefined;
    });
    expect(titles).toHaveLength(4);
    // The primary aggregates every worker's metrics (refreshed by each worker every 5 s), labelled by worker.
    const metrics = await until('metrics from both workers showing the invalidation', async () => {
      const body = await (await fetch(`${lms.base}/metrics`)).text();
      const both = body.includes('worker="1"') && body.includes('worker="2"');
      return both && /pilms_lms_cache_bus_received\{worker="\d"\} [1-9]/.test(body) ? body : undefined;
    });
    expect(metrics).toMatch(/pilms_lms_requests_requests\{worker="\d"\} \d/);
    // The dashboard point is the whole board's, merged by the primary from both workers.
    const admin = await signIn(lms.base, 'admin@school.test', 'admin-demo');
    const point = (await (await admin.get('/admin/stats.json')).json()) as DashboardPoint;
    expect(point.activeUsers).toBeGreaterThanOrEqual(2);
    expect(point.heapUsedBytes).toBeGreaterThan(0);
    expect(Array.isArray(await (await admin.get('/admin/history.json')).json())).toBe(true);
    expect(await lms.stop()).toBe(0);
  }, 120_000);
});
