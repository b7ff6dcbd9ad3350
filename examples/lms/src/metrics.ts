import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Anything with plain-data `stats()`, the cross-package contract. */
export interface StatsSource {
  stats(): object;
}

/** One point of the admin dashboard's live charts. */
export interface MetricsSnapshot {
  t: number;
  cpuPercent: number;
  load1: number;
  rssBytes: number;
  socTempC: number | null;
  latency: { p50: number; p95: number; p99: number };
  activeUsers: number;
  cacheHitRatio: number | null;
  aiQueued: number | null;
}

const activeWindowMs = 5 * 60_000;
const latencyWindow = 1000;

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);
}

// Numeric leaves of a stats object as `a_b_c` keys, for the Prometheus gauge.
function leaves(value: unknown, prefix: string, out: Map<string, number>): Map<string, number> {
  if (typeof value === 'number' && Number.isFinite(value)) out.set(prefix, value);
  else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) leaves(inner, prefix ? `${prefix}_${key}` : key, out);
  }
  return out;
}

async function socTemperature(): Promise<number | null> {
  try {
    return Number(await readFile('/sys/class/thermal/thermal_zone0/temp', 'utf8')) / 1000;
  } catch {
    return null;
  }
}

/**
 * The app's own metrics until `@pilms/monitor` is wired: request latency, active users, process and
 * package stats, exposed to Prometheus and as dashboard snapshots.
 */
export function createMetrics(sources: Record<string, StatsSource>) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pilms_lms_' });
  const duration = new Histogram({
    name: 'pilms_lms_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const active = new Map<string, number>();
  new Gauge({
    name: 'pilms_lms_active_users',
    help: 'Sessions seen in the last 5 minutes',
    registers: [registry],
    collect() {
      this.set(activeUsers());
    },
  });
  new Gauge({
    name: 'pilms_lms_package_stat',
    help: 'Numeric leaves of each composed package stats()',
    labelNames: ['source', 'key'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [name, source] of Object.entries(sources)) {
        for (const [key, value] of leaves(source.stats(), '', new Map())) this.set({ source: name, key }, value);
      }
    },
  });
  const recent: number[] = [];
  let cpu = { at: performance.now(), usage: process.cpuUsage() };

  function activeUsers(now = Date.now()): number {
    for (const [sid, seen] of active) if (seen < now - activeWindowMs) active.delete(sid);
    return active.size;
  }

  return {
    registry,
    /** Records one finished request; `session` counts an active user. */
    record(method: string, route: string, status: number, ms: number, session?: string): void {
      duration.observe({ method, route, status: String(status) }, ms / 1000);
      recent.push(ms);
      if (recent.length > latencyWindow) recent.shift();
      if (session) active.set(session, Date.now());
    },
    async snapshot(): Promise<MetricsSnapshot> {
      const now = performance.now();
      const usage = process.cpuUsage(cpu.usage);
      const cpuPercent = ((usage.user + usage.system) / 1000 / Math.max(1, now - cpu.at)) * 100;
      cpu = { at: now, usage: process.cpuUsage() };
      const sorted = [...recent].sort((a, b) => a - b);
      const cache = sources.cache ? leaves(sources.cache.stats(), '', new Map()) : new Map<string, number>();
      const ai = sources.ai ? leaves(sources.ai.stats(), '', new Map()) : new Map<string, number>();
      const queued = [...ai].filter(([key]) => key.startsWith('queued_')).reduce((sum, [, v]) => sum + v, 0);
      return {
        t: Date.now(),
        cpuPercent,
        load1: loadavg()[0] ?? 0,
        rssBytes: process.memoryUsage.rss(),
        socTempC: await socTemperature(),
        latency: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) },
        activeUsers: activeUsers(),
        cacheHitRatio: cache.get('hitRatio') ?? null,
        aiQueued: ai.size > 0 ? queued : null,
      };
    },
  };
}

/** The metrics service returned by {@link createMetrics}. */
export type Metrics = ReturnType<typeof createMetrics>;
