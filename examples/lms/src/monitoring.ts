import cluster from 'node:cluster';
import {
  type AlertEvent,
  clusterSeries,
  createMonitor,
  createProcessMonitor,
  createSystemCollector,
  flattenStats,
  type Monitor,
  type NumericLeaf,
  type PerformanceReport,
  type StatsSource,
  seriesNames,
} from '@pilms/monitor';
import { serveWorkerMetrics } from '@pilms/monitor/cluster';
import { trackFastify } from '@pilms/monitor/fastify';
import { createPrometheusExporter, type PrometheusExporter } from '@pilms/monitor/prometheus';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { answerPrimary, askPrimary } from './cluster-ipc.js';

/** One point of the admin dashboard's live charts. */
export interface DashboardPoint {
  t: number;
  /** Busy % per CPU cluster (`little`, `big`, or `all` on uniform CPUs). */
  clusters: { name: string; busyPercent: number }[];
  socTempC: number | null;
  memoryPercent: number | null;
  heapUsedBytes: number | null;
  /** Request latency of this worker over its last 1,024 requests. */
  latency: { p50: number | null; p95: number | null };
  activeUsers: number;
  cacheHitRatio: number | null;
  aiQueued: number | null;
  /** Time to the tutor's first token (p95), when the AI queue reports it. */
  aiTtftMs: number | null;
  alerts: AlertEvent[];
}

/** The monitor of one worker, its dashboard feed and its Prometheus text. */
export interface Monitoring {
  monitor: Monitor;
  /** The current point: of the whole cluster under `npm start` (merged by the primary), else of this process. */
  point(): Promise<DashboardPoint>;
  /**
   * The last 10 minutes, one point per 2 s, oldest first (alerts left empty): under `npm start` from the primary's
   * board history in SQLite (kept across restarts), else from this process's monitor history.
   */
  recent(): Promise<DashboardPoint[]>;
  report(): PerformanceReport;
  /** Prometheus text: every worker's metrics (labelled `worker`) in a cluster, else this process's. */
  prometheus(): Promise<{ contentType: string; text: string }>;
  close(): Promise<void>;
}

/** Source names the dashboard reads; any other source is only exported and recorded. */
export interface MonitoredSources extends Record<string, StatsSource> {
  cache: StatsSource;
  ai: StatsSource;
}

/** IPC request kinds: workers ask the primary (`metrics`, `point`, `recent`), the primary asks each worker (`own-point`). */
export const ipc = {
  metrics: 'metrics',
  point: 'point',
  recent: 'recent',
  ownPoint: 'own-point',
} as const;
/** What the dashboard's charts start with: the last 10 minutes, one point per 2 s. */
export const recentMs = 600_000;
export const recentStepMs = 2000;
const sourceMetrics = { aiQueueDepth: 'ai_queued_interactive' };
const thresholds = { aiQueueDepth: { warning: 10, critical: 20 } };

// The AI queue's stats() may group by priority class either way round (`queued.interactive` or
// `classes.interactive.queued`), so the dashboard picks its flattened leaves (the names history uses) by name.
function aiLeaves(ai: object): { queued: NumericLeaf[]; ttft: NumericLeaf | undefined } {
  const leaves = flattenStats(ai, 'ai');
  const top = leaves.filter((leaf) => leaf.name.startsWith('ai_queued_'));
  const ttft = leaves.filter((leaf) => leaf.name.endsWith('ttft_seconds_p95'));
  return {
    queued: top.length > 0 ? top : leaves.filter((leaf) => leaf.name.endsWith('_queued')),
    ttft: ttft.find((leaf) => leaf.name.includes('interactive')) ?? ttft[0],
  };
}

/** One chart figure read from a history: its value at a time, null where absent. */
export type Figure = (t: number) => number | null;

/** A figure over stored points. */
export function figureOf(points: readonly { t: number; value: number }[]): Figure {
  const byTime = new Map(points.map((p) => [p.t, p.value]));
  return (t) => byTime.get(t) ?? null;
}

/** Where each figure of the recent dashboard points comes from. */
export interface RecentFigures {
  /** Times of the points, e.g. those of the memory series. */
  times: readonly number[];
  clusters: readonly (readonly [name: string, busyPercent: Figure])[];
  socTempC: Figure;
  memoryPercent: Figure;
  heapUsedBytes: Figure;
  latencyP50: Figure;
  latencyP95: Figure;
  activeUsers: Figure;
  cacheHitRatio: Figure;
  aiQueued: Figure;
  aiTtftMs: Figure;
}

/** Dashboard points at `times`, at most one per `recentStepMs`, oldest first (alerts left empty). */
export function alignPoints(figures: RecentFigures): DashboardPoint[] {
  const points: DashboardPoint[] = [];
  let last = Number.NEGATIVE_INFINITY;
  for (const t of [...figures.times].sort((a, b) => a - b)) {
    if (t - last < recentStepMs) continue;
    last = t;
    points.push({
      t,
      clusters: figures.clusters.map(([name, busy]) => ({ name, busyPercent: busy(t) ?? 0 })),
      socTempC: figures.socTempC(t),
      memoryPercent: figures.memoryPercent(t),
      heapUsedBytes: figures.heapUsedBytes(t),
      latency: { p50: figures.latencyP50(t), p95: figures.latencyP95(t) },
      activeUsers: figures.activeUsers(t) ?? 0,
      cacheHitRatio: figures.cacheHitRatio(t),
      aiQueued: figures.aiQueued(t),
      aiTtftMs: figures.aiTtftMs(t),
      alerts: [],
    });
  }
  return points;
}

const sum = (values: (number | null)[]): number | null =>
  values.length === 0 ? null : values.reduce<number>((total, v) => total + (v ?? 0), 0);
const ms = (seconds: number | null | undefined): number | null => (seconds == null ? null : seconds * 1000);

/**
 * Wires `@pilms/monitor` into the app: requests tracked by route pattern, the sources' `stats()` read every second
 * into thresholds and history, and the Prometheus exporter over the same sources plus system and process gauges.
 */
export function createMonitoring(
  app: FastifyInstance,
  options: { sources: MonitoredSources; session(request: FastifyRequest): string | undefined },
): Monitoring {
  const aiSeries = aiLeaves(options.sources.ai.stats());
  // Only the leaves the dashboard charts go to history: every leaf would be hundreds of one-hour rings per worker.
  const sourceSeries = [
    'cache_hit_ratio',
    ...aiSeries.queued.map((leaf) => leaf.name),
    ...(aiSeries.ttft ? [aiSeries.ttft.name] : []),
  ];
  const monitor = createMonitor({ sources: options.sources, sourceSeries, sourceMetrics, thresholds: { thresholds } });
  const requests = monitor.requests;
  if (requests) trackFastify(app, requests, { session: options.session });
  monitor.start();
  let exporter: Promise<PrometheusExporter> | undefined;
  let stopRefresh: (() => void) | undefined;

  function localExporter(): Promise<PrometheusExporter> {
    exporter ??= createPrometheusExporter({
      prefix: 'pilms_lms',
      system: createSystemCollector(),
      process: createProcessMonitor(),
      sources: { ...options.sources, ...(requests && { requests }) },
    }).then(async (created) => {
      if (cluster.isWorker) {
        created.registry.setDefaultLabels({ worker: String(cluster.worker?.id) });
        stopRefresh = await serveWorkerMetrics(created);
      }
      return created;
    });
    return exporter;
  }
  // In a worker the primary's aggregator asks every worker over IPC, so register before the first scrape.
  if (cluster.isWorker) void localExporter();

  async function ownPoint(): Promise<DashboardPoint> {
    const snapshot = monitor.snapshot() ?? (await monitor.tick());
    const live = requests?.stats();
    const hitRatio = (options.sources.cache.stats() as { hitRatio?: unknown }).hitRatio;
    const ai = aiLeaves(options.sources.ai.stats());
    return {
      t: snapshot.time,
      clusters: (snapshot.system.cpu?.clusters ?? []).map((c) => ({ name: c.name, busyPercent: c.busyPercent })),
      socTempC: snapshot.system.thermal.hottestC ?? null,
      memoryPercent: snapshot.system.memory?.usedPercent ?? null,
      heapUsedBytes: snapshot.process.heapUsedBytes,
      latency: { p50: live?.latency.p50 ?? null, p95: live?.latency.p95 ?? null },
      activeUsers: live?.activeUsers ?? 0,
      cacheHitRatio: typeof hitRatio === 'number' ? hitRatio : null,
      aiQueued: sum(ai.queued.map((leaf) => leaf.value)),
      aiTtftMs: ms(ai.ttft?.value),
      alerts: monitor.alerts(),
    };
  }

  function ownRecent(): DashboardPoint[] {
    const at = (name: string) => figureOf(monitor.history(name, { sinceMs: recentMs }));
    const clusterNames = (monitor.snapshot()?.system.cpu?.clusters ?? []).map((c) => c.name);
    const memory = monitor.history(seriesNames.memory, { sinceMs: recentMs });
    const queued = aiSeries.queued.map((leaf) => at(leaf.name));
    const ttft = aiSeries.ttft && at(aiSeries.ttft.name);
    return alignPoints({
      times: memory.map((p) => p.t),
      clusters: clusterNames.map((name) => [name, at(clusterSeries(name))] as const),
      socTempC: at(seriesNames.socTemp),
      memoryPercent: figureOf(memory),
      heapUsedBytes: at(seriesNames.heap),
      latencyP50: at(seriesNames.responseP50),
      latencyP95: at(seriesNames.responseP95),
      activeUsers: at(seriesNames.activeUsers),
      cacheHitRatio: at('cache_hit_ratio'),
      aiQueued: (t) => sum(queued.map((figure) => figure(t))),
      aiTtftMs: (t) => ms(ttft?.(t)),
    });
  }

  if (cluster.isWorker) {
    answerPrimary(ipc.ownPoint, ownPoint);
  }

  return {
    monitor,
    point: () => (cluster.isWorker ? askPrimary<DashboardPoint>(ipc.point) : ownPoint()),
    recent: async () => (cluster.isWorker ? askPrimary<DashboardPoint[]>(ipc.recent) : ownRecent()),
    report: () => monitor.report({ periodMs: 3_600_000 }),
    async prometheus() {
      const local = await localExporter();
      const text = cluster.isWorker ? await askPrimary<string>(ipc.metrics) : await local.metrics();
      return { contentType: local.contentType, text };
    },
    async close() {
      stopRefresh?.();
      await monitor.close();
    },
  };
}
