import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../../test/support/index.js';
import { openHistory } from '../src/adapters/history.js';
import { type AlertEvent, createMonitor, InvalidOptionError, type Monitor } from '../src/index.js';
import { createMemoryHistory } from '../src/memory-history.js';

const rk3588 = join(import.meta.dirname, 'fixtures/rk3588');

/** A copy of the RK3588 tree whose SoC zone the test can heat up. */
async function boardTree() {
  const root = join(await tempDir(), 'board');
  await cp(rk3588, root, { recursive: true });
  const setSocTemp = (celsius: number) =>
    writeFile(join(root, 'sys/class/thermal/thermal_zone0/temp'), `${celsius * 1000}\n`);
  return { root, setSocTemp };
}

const opened: Monitor[] = [];
const track = (monitor: Monitor) => {
  opened.push(monitor);
  return monitor;
};

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(opened.splice(0).map((monitor) => monitor.close()));
});

describe('createMonitor', () => {
  it('combines board, process, request and source metrics in one JSON snapshot', async () => {
    const queue = { stats: () => ({ depth: 3, ttftMs: { p50: 120, p95: 480, p99: 900 } }) };
    const monitor = track(createMonitor({ root: rk3588, sources: { ai: queue } }));
    monitor.requests?.record({ method: 'GET', route: '/courses/:id', statusCode: 200, durationMs: 12, sessionId: 'a' });
    const snapshot = await monitor.tick();
    expect(snapshot.system.cpu?.clusters).toEqual([
      { name: 'little', cores: [0, 1, 2, 3], busyPercent: expect.any(Number), freqMHz: 1200, maxFreqMHz: 1800 },
      { name: 'big', cores: [4, 5, 6, 7], busyPercent: expect.any(Number), freqMHz: 1800, maxFreqMHz: 2400 },
    ]);
    expect(snapshot.system.thermal.hottestC).toBe(47.1);
    expect(snapshot.system.thermal.zones).toHaveLength(7);
    expect(snapshot.system.memory?.totalBytes).toBeGreaterThan(0);
    expect(snapshot.system.disk.usedPercent).toEqual(expect.any(Number));
    expect(snapshot.system.load).toEqual(expect.objectContaining({ load1: expect.any(Number) }));
    expect(snapshot.process.eventLoopDelay).toEqual(expect.objectContaining({ p99: expect.any(Number) }));
    expect(snapshot.requests).toEqual(expect.objectContaining({ requests: 1, activeUsers: 1 }));
    expect(snapshot.sources).toEqual({ ai: queue.stats() });
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
    expect(monitor.snapshot()).toBe(snapshot);
  });

  it('records board, request and source series in a SQLite history and reports from it', async () => {
    const path = join(await tempDir(), 'metrics.db');
    const queue = { stats: () => ({ depth: 7, ttftMs: { p95: 480 } }) };
    const monitor = track(
      createMonitor({ root: rk3588, sources: { ai: queue }, history: await openHistory({ path }) }),
    );
    monitor.requests?.record({ method: 'GET', route: '/', statusCode: 500, durationMs: 40 });
    await monitor.tick();
    const latest = (series: string) => monitor.history(series, { sinceMs: 60_000 }).at(-1)?.value;
    expect(latest('soc_temp_c')).toBe(47.1);
    expect(latest('cpu_big_percent')).toEqual(expect.any(Number));
    expect(latest('cpu_little_percent')).toEqual(expect.any(Number));
    expect(latest('disk_percent')).toEqual(expect.any(Number));
    expect(latest('response_time_p95_ms')).toBe(40);
    expect(latest('error_rate_percent')).toBe(100);
    expect(latest('active_users')).toBe(0);
    expect(latest('ai_depth')).toBe(7);
    expect(latest('ai_ttft_seconds_p95')).toBe(0.48);
    expect(monitor.report({ periodMs: 60_000 }).series.soc_temp_c).toEqual(
      expect.objectContaining({ p95: 47.1, samples: 1 }),
    );
    await monitor.close();
    const reopened = await openHistory({ path });
    expect(reopened.query('ai_depth', { from: 0, to: Date.now(), resolution: '1s' })).toHaveLength(1);
    await reopened.close();
  });

  it('fires the temperature alert from the hottest zone after its minimum duration and clears it with hysteresis', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_000_000);
    const { root, setSocTemp } = await boardTree();
    const monitor = track(createMonitor({ root, thresholds: { minDurationMs: 5_000 } }));
    const events: AlertEvent[] = [];
    monitor.on('alert', (event) => events.push(event));
    const temperature = () => events.filter((event) => event.metric === 'socTempC').map((event) => event.level);
    const tickAt = async (at: number) => {
      vi.setSystemTime(at);
      return monitor.tick();
    };
    await setSocTemp(90);
    await tickAt(1_000_000);
    expect(temperature()).toEqual([]);
    const hot = await tickAt(1_005_000);
    expect(temperature()).toEqual(['critical']);
    expect(hot.alerts).toContainEqual(expect.objectContaining({ metric: 'socTempC', level: 'critical', value: 90 }));
    await setSocTemp(82);
    await tickAt(1_020_000);
    expect(temperature()).toEqual(['critical']);
    await setSocTemp(60);
    await tickAt(1_030_000);
    const cool = await tickAt(1_035_000);
    expect(temperature()).toEqual(['critical', 'ok']);
    expect(cool.alerts.some((alert) => alert.metric === 'socTempC')).toBe(false);
    expect(monitor.alerts().some((alert) => alert.metric === 'socTempC')).toBe(false);
  });

  it('watches the error rate of each window and source leaves mapped to default or custom metrics', async () => {
    let depth = 25;
    const monitor = track(
      createMonitor({
        root: rk3588,
        sources: { db: { stats: () => ({ pool: { active: 18 } }) }, ai: { stats: () => ({ depth }) } },
        sourceMetrics: { dbConnections: 'db_pool_active', aiQueueDepth: 'ai_depth' },
        thresholds: { minDurationMs: 0, thresholds: { aiQueueDepth: { warning: 10, critical: 20 } } },
      }),
    );
    const failing = { method: 'POST', route: '/quiz', statusCode: 503, durationMs: 5 };
    for (let i = 0; i < 3; i++) monitor.requests?.record(failing);
    await monitor.tick();
    const level = (metric: string) => monitor.alerts().find((alert) => alert.metric === metric)?.level;
    expect(level('errorRatePercent')).toBe('critical');
    expect(level('dbConnections')).toBe('warning');
    expect(level('aiQueueDepth')).toBe('critical');
    for (let i = 0; i < 50; i++) monitor.requests?.record({ ...failing, statusCode: 200 });
    depth = 2;
    await monitor.tick();
    expect(level('errorRatePercent')).toBeUndefined();
    expect(level('aiQueueDepth')).toBeUndefined();
  });

  it('collects on its own timer once started and stops on close', async () => {
    const monitor = track(createMonitor({ root: rk3588, intervalMs: 20, requests: false }));
    monitor.start();
    monitor.start();
    await vi.waitFor(() => expect(monitor.snapshot()).toBeDefined());
    expect(monitor.requests).toBeUndefined();
    expect(monitor.snapshot()?.requests).toBeUndefined();
    await monitor.close();
    const last = monitor.snapshot()?.time;
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(monitor.snapshot()?.time).toBe(last);
  });

  it('keeps the last hour in memory when no history store is given', async () => {
    const monitor = track(createMonitor({ root: rk3588 }));
    await monitor.tick();
    await monitor.tick();
    expect(monitor.history('soc_temp_c')).toHaveLength(2);
    expect(monitor.report().series.soc_temp_c?.samples).toBe(2);
  });

  it('records only the listed source leaves when sourceSeries is a list', async () => {
    const source = { stats: () => ({ depth: 4, served: 120 }) };
    const monitor = track(createMonitor({ root: rk3588, sources: { ai: source }, sourceSeries: ['ai_depth'] }));
    await monitor.tick();
    expect(monitor.history('ai_depth').map((point) => point.value)).toEqual([4]);
    expect(monitor.history('ai_served')).toEqual([]);
  });

  it('reports a failing source to onError and still collects the others', async () => {
    const errors: unknown[] = [];
    const monitor = track(
      createMonitor({
        root: rk3588,
        sources: {
          broken: {
            stats: () => {
              throw new Error('closed');
            },
          },
          ok: { stats: () => ({ n: 1 }) },
        },
        onError: (error) => errors.push(error),
      }),
    );
    const snapshot = await monitor.tick();
    expect(snapshot.sources).toEqual({ ok: { n: 1 } });
    expect(errors).toEqual([new Error('closed')]);
  });

  it('rejects a too-short interval and a source without stats() at construction', () => {
    expect(() => createMonitor({ intervalMs: 0 })).toThrow('Expected `intervalMs` to be a finite number >= 10, got 0');
    expect(() => createMonitor({ sources: { bad: {} as never } })).toThrow(InvalidOptionError);
    expect(() => track(createMonitor({ root: rk3588 })).history('cpu_percent', { sinceMs: -1 })).toThrow(
      'Expected `sinceMs` to be a finite number > 0, got -1',
    );
  });
});

describe('createMemoryHistory', () => {
  it('keeps only the newest points of each series, oldest first, within the asked range', () => {
    const history = createMemoryHistory(3);
    for (let second = 0; second < 5; second++) history.record({ cpu: second * 10, temp: 40 }, second * 1000);
    history.record({ cpu: Number.NaN }, 6000);
    expect(history.query('cpu', { from: 0, to: 10_000, resolution: '1s' })).toEqual([
      { t: 2000, value: 20 },
      { t: 3000, value: 30 },
      { t: 4000, value: 40 },
    ]);
    expect(history.query('cpu', { from: 3000, to: 3000, resolution: '1m' })).toEqual([{ t: 3000, value: 30 }]);
    expect(history.query('temp', { from: 0, to: 10_000, resolution: '1s' })).toHaveLength(3);
    expect(history.query('absent', { from: 0, to: 10_000, resolution: '1s' })).toEqual([]);
  });
});
