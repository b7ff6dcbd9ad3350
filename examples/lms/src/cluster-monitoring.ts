import { createClusterAggregator } from '@pilms/monitor/cluster';
import { answerWorkers, askWorkers } from './cluster-ipc.js';
import { type DashboardPoint, ipc } from './monitoring.js';

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

/**
 * In the cluster primary: answers the workers' `/metrics` (prom-client's aggregator over every worker, each series
 * labelled `worker`), dashboard point (merged) and history (the longest-running worker's) requests.
 */
export async function serveClusterMonitoring(): Promise<void> {
  const aggregator = await createClusterAggregator();
  answerWorkers(ipc.metrics, () => aggregator.metrics());
  answerWorkers(ipc.point, async () => mergePoints(await askWorkers<DashboardPoint>(ipc.ownPoint)));
  answerWorkers(ipc.recent, async () => {
    const histories = await askWorkers<DashboardPoint[]>(ipc.ownRecent);
    return histories.reduce<DashboardPoint[]>((longest, h) => (h.length > longest.length ? h : longest), []);
  });
}
