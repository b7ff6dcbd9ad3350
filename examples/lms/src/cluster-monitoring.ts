import { createClusterAggregator } from '@pilms/monitor/cluster';
import { type History, openHistory } from '@pilms/monitor/history';
import { answerWorkers, askWorkers } from './cluster-ipc.js';
import {
  alignPoints,
  type DashboardPoint,
  type Figure,
  figureOf,
  ipc,
  type RecentFigures,
  recentMs,
  recentStepMs,
} from './monitoring.js';

const present = (values: (number | null)[]): number[] => values.filter((v): v is number => v !== null);
const max = (values: (number | null)[]): number | null =>
  present(values).length ? Math.max(...present(values)) : null;
const total = (values: (number | null)[]): number | null =>
  present(values).length ? present(values).reduce((a, b) => a + b, 0) : null;
const mean = (values: (number | null)[]): number | null => {
  const sum = total(values);
  return sum === null ? null : sum / present(values).length;
};

/**
 * One dashboard point for the whole board from each worker's own point: machine figures (CPU, temperature,
 * memory) from any worker, heaps and AI queues summed, the worst worker's latency p95, the mean hit ratio.
 * Active users are the largest count a worker saw: with round-robin every active student reaches every worker.
 */
export function mergePoints(points: DashboardPoint[]): DashboardPoint {
  const [first] = points;
  if (!first) throw new Error('No worker answered for the dashboard; are the workers running?');
  const alerts = new Map(points.flatMap((p) => p.alerts).map((alert) => [alert.metric, alert]));
  return {
    ...first,
    t: Math.max(...points.map((p) => p.t)),
    heapUsedBytes: total(points.map((p) => p.heapUsedBytes)),
    latency: { p50: mean(points.map((p) => p.latency.p50)), p95: max(points.map((p) => p.latency.p95)) },
    activeUsers: Math.max(...points.map((p) => p.activeUsers)),
    cacheHitRatio: mean(points.map((p) => p.cacheHitRatio)),
    aiQueued: total(points.map((p) => p.aiQueued)),
    aiTtftMs: max(points.map((p) => p.aiTtftMs)),
    alerts: [...alerts.values()],
  };
}

/** Series of the board history, one per dashboard figure; CPU clusters are `board_cpu_<name>`. */
const boardSeries = {
  socTempC: 'board_soc_temp_c',
  memoryPercent: 'board_memory_percent',
  heapUsedBytes: 'board_heap_used_bytes',
  latencyP50: 'board_latency_p50_ms',
  latencyP95: 'board_latency_p95_ms',
  activeUsers: 'board_active_users',
  cacheHitRatio: 'board_cache_hit_ratio',
  aiQueued: 'board_ai_queued',
  aiTtftMs: 'board_ai_ttft_ms',
} as const;
const clusterNames = ['little', 'mid', 'big', 'all'];

/** Records the figures of one merged point at its time; absent figures are not recorded. */
export function recordBoardPoint(history: Pick<History, 'record'>, point: DashboardPoint): void {
  const figures: Record<keyof typeof boardSeries, number | null> = {
    socTempC: point.socTempC,
    memoryPercent: point.memoryPercent,
    heapUsedBytes: point.heapUsedBytes,
    latencyP50: point.latency.p50,
    latencyP95: point.latency.p95,
    activeUsers: point.activeUsers,
    cacheHitRatio: point.cacheHitRatio,
    aiQueued: point.aiQueued,
    aiTtftMs: point.aiTtftMs,
  };
  const values: Record<string, number> = {};
  for (const [key, value] of Object.entries(figures)) {
    if (value !== null) values[boardSeries[key as keyof typeof boardSeries]] = value;
  }
  for (const c of point.clusters) values[`board_cpu_${c.name}`] = c.busyPercent;
  history.record(values, point.t);
}

/** The last `recentMs` of the board history as dashboard points, one per `recentStepMs`, oldest first. */
export function recentFromHistory(history: Pick<History, 'query'>, now = Date.now()): DashboardPoint[] {
  const range = { from: now - recentMs, to: now, resolution: '1s' } as const;
  const at = (name: string) => figureOf(history.query(name, range));
  const clusters = clusterNames
    .map((name) => [name, history.query(`board_cpu_${name}`, range)] as const)
    .filter(([, points]) => points.length > 0)
    .map(([name, points]) => [name, figureOf(points)] as const);
  // The memory series gives the points' times too: read it once.
  const memory = history.query(boardSeries.memoryPercent, range);
  const figures = Object.fromEntries(
    Object.entries(boardSeries).map(([key, name]) => [
      key,
      name === boardSeries.memoryPercent ? figureOf(memory) : at(name),
    ]),
  ) as Record<keyof typeof boardSeries, Figure>;
  return alignPoints({ times: memory.map((p) => p.t), clusters, ...figures } satisfies RecentFigures);
}

/** Options of {@link serveClusterMonitoring}. */
export interface ClusterMonitoringOptions {
  /** SQLite file of the board history (1 s for an hour, 1 min for 30 days), kept across restarts. */
  historyPath: string;
  /** How often the merged point is recorded, in ms. Default `recentStepMs` (2000). */
  everyMs?: number;
}

/**
 * In the cluster primary: answers the workers' `/metrics` (prom-client's aggregator over every worker, each series
 * labelled `worker`), dashboard point (merged) and recent-history requests. The merged point is recorded every
 * `everyMs` into an SQLite history, so the charts and their last 10 minutes survive a restart of the app.
 */
export async function serveClusterMonitoring(options: ClusterMonitoringOptions): Promise<{ close(): Promise<void> }> {
  const aggregator = await createClusterAggregator();
  const history = await openHistory({ path: options.historyPath });
  const merged = async () => mergePoints(await askWorkers<DashboardPoint>(ipc.ownPoint));
  answerWorkers(ipc.metrics, () => aggregator.metrics());
  answerWorkers(ipc.point, merged);
  answerWorkers(ipc.recent, async () => recentFromHistory(history));
  const timer = setInterval(() => {
    // No worker answering (starting, or all restarting) is a gap in the charts, not an error.
    merged().then(
      (point) => recordBoardPoint(history, point),
      () => undefined,
    );
  }, options.everyMs ?? recentStepMs);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      await history.close();
    },
  };
}
