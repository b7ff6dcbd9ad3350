import { join } from 'node:path';
import { openHistory } from '@pilms/monitor/history';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type LmsApp } from '../src/app.js';
import { mergePoints, recentFromHistory, recordBoardPoint } from '../src/cluster-monitoring.js';
import { loadConfig } from '../src/config.js';
import { startUpkeep } from '../src/maintenance.js';
import type { DashboardPoint } from '../src/monitoring.js';
import { seededDataDir } from './seeded.js';
import { sessionCookie } from './session.js';

let lms: LmsApp;
let cookie: string;

let dataDir: string;

beforeAll(async () => {
  dataDir = await seededDataDir('pilms-lms-dashboard-');
  lms = buildApp(loadConfig({ DATA_DIR: dataDir }));
  cookie = await sessionCookie(lms.app, 'admin@school.test', 'admin-demo');
});

afterAll(async () => {
  await lms.close();
});

describe('the dashboard point of a cluster', () => {
  const point = (worker: number, fields: Partial<DashboardPoint>): DashboardPoint => ({
    t: 1000 + worker,
    clusters: [{ name: 'all', busyPercent: 40 }],
    socTempC: 55,
    memoryPercent: 30,
    heapUsedBytes: 100,
    latency: { p50: 2, p95: 10 },
    activeUsers: 10,
    cacheHitRatio: 0.5,
    aiQueued: 1,
    aiTtftMs: null,
    alerts: [],
    ...fields,
  });

  it('sums heaps and AI queues, keeps the worst p95 and the largest user count, averages the hit ratio', () => {
    const alert = { metric: 'cpuPercent', level: 'warning', previous: 'ok', value: 80, at: 1 } as const;
    const merged = mergePoints([
      point(1, { alerts: [alert] }),
      point(2, {
        heapUsedBytes: 300,
        latency: { p50: 4, p95: 50 },
        activeUsers: 12,
        cacheHitRatio: 0.9,
        aiTtftMs: 800,
        alerts: [alert],
      }),
    ]);
    expect(merged).toMatchObject({
      t: 1002,
      heapUsedBytes: 400,
      latency: { p50: 3, p95: 50 },
      activeUsers: 12,
      aiQueued: 2,
      aiTtftMs: 800,
      alerts: [alert],
    });
    expect(merged.cacheHitRatio).toBeCloseTo(0.7);
  });

  it("keeps the board's points in an SQLite history that a restarted primary reads back for the charts", async () => {
    const path = join(dataDir, 'monitor-history.sqlite');
    const now = Date.now();
    const written = await openHistory({ path });
    recordBoardPoint(written, point(1, { t: now - 4000, clusters: [{ name: 'big', busyPercent: 90 }], aiTtftMs: 700 }));
    recordBoardPoint(
      written,
      point(2, { t: now - 1000, clusters: [{ name: 'big', busyPercent: 20 }], socTempC: null }),
    );
    await written.close();

    const reopened = await openHistory({ path });
    const points = recentFromHistory(reopened, now);
    await reopened.close();
    expect(points).toHaveLength(2);
    expect(points[0]).toMatchObject({
      clusters: [{ name: 'big', busyPercent: 90 }],
      socTempC: 55,
      latency: { p50: 2, p95: 10 },
      activeUsers: 10,
      aiTtftMs: 700,
    });
    expect(points[1]).toMatchObject({ clusters: [{ name: 'big', busyPercent: 20 }], socTempC: null, aiTtftMs: null });
    expect(points[0]?.t).toBeLessThan(points[1]?.t ?? 0);
  });

  it('refuses to merge when no worker answered', () => {
    expect(() => mergePoints([])).toThrow('No worker answered for the dashboard');
  });
});

describe('the monitor dashboard fed by @pilms/monitor', () => {
  it('gives each chart its figure: CPU per cluster, memory, latency, active users, cache and AI queue', async () => {
    for (const url of ['/courses/1', '/courses/1', '/lessons/1']) await lms.app.inject({ url, headers: { cookie } });
    const point = (await lms.app.inject({ url: '/admin/stats.json', headers: { cookie } })).json() as DashboardPoint;
    expect(point.clusters.length).toBeGreaterThan(0);
    for (const cluster of point.clusters) expect(cluster.busyPercent).toBeGreaterThanOrEqual(0);
    expect(point.memoryPercent).toBeGreaterThan(0);
    expect(point.heapUsedBytes).toBeGreaterThan(0);
    expect(point.latency.p95).toBeGreaterThanOrEqual(point.latency.p50 ?? Number.POSITIVE_INFINITY);
    expect(point.activeUsers).toBe(1);
    expect(point.cacheHitRatio).toBeGreaterThan(0);
    expect(point.aiQueued).toBe(0);
    expect(Array.isArray(point.alerts)).toBe(true);
  });

  it('starts the charts with the recent points from the monitor history', async () => {
    let points: DashboardPoint[] = [];
    while (points.length === 0) {
      await new Promise((r) => setTimeout(r, 200));
      points = (await lms.app.inject({ url: '/admin/history.json', headers: { cookie } })).json();
    }
    const [first] = points;
    expect(first?.memoryPercent).toBeGreaterThan(0);
    expect(first?.clusters.length).toBeGreaterThan(0);
    expect(points.every((p, i) => i === 0 || p.t - (points[i - 1] as DashboardPoint).t >= 2000)).toBe(true);
    // History keeps the charted source leaves only, not every leaf of every stats().
    expect(lms.monitoring.monitor.history('cache_hit_ratio').length).toBeGreaterThan(0);
    expect(lms.monitoring.monitor.history('write_behind_pending')).toEqual([]);
  });

  it('exports storage totals to Prometheus without a gauge per SQL statement', async () => {
    const { text } = await lms.monitoring.prometheus();
    expect(text).toMatch(/pilms_lms_db_statements_total_value \d/);
    expect(text).toMatch(/pilms_lms_db_extensions_batcher_batches \d/);
    expect(text).not.toContain('by_sql');
  });

  it('records request latency by route pattern, not by URL', async () => {
    await lms.app.inject({ url: '/courses/2', headers: { cookie } });
    const { requests } = lms.monitoring.monitor.snapshot() ?? (await lms.monitoring.monitor.tick());
    expect(Object.keys(requests?.routes ?? {})).toContain('GET /courses/:id');
    expect(Object.keys(requests?.routes ?? {})).not.toContain('GET /courses/2');
  });

  it('lists the backups of the primary and the group-commit figures on the admin page', async () => {
    const upkeep = startUpkeep({ dataDir, maintenanceIntervalMs: 60_000, backupIntervalMs: 3_600_000, backupKeep: 7 });
    while (upkeep.backups.stats().count < 1) await new Promise((r) => setTimeout(r, 20));
    await upkeep.close();
    const page = (await lms.app.inject({ url: '/admin', headers: { cookie } })).body;
    expect(page).toMatch(/<h2>Backups<\/h2><ul><li>lms-[\w-]+\.db \(\d+\.\d MB\)<\/li><\/ul>/);
    expect(page).toContain('&quot;batcher&quot;');
    expect(page).not.toContain('bySql');
  });

  it('renders the current alerts and the report with its bottleneck and recommendations', async () => {
    const page = (await lms.app.inject({ url: '/admin/dashboard', headers: { cookie } })).body;
    expect(page).toContain('<ul id="alerts">');
    expect(page).toMatch(/Bottleneck: [a-z-, ]+</);
    expect(page).toContain('<ul id="recommendations">');
    expect(page.match(/class="chart"/g)).toHaveLength(8);
  });
});
