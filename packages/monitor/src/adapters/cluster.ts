import { InvalidOptionError } from '../errors.js';
import { loadPeer } from '../load-peer.js';

/** What a worker exposes: the exporter from `@pilms/monitor/prometheus` fits. */
export interface RefreshableRegistry {
  readonly registry: import('prom-client').Registry;
  /** Refreshes the gauges and returns the exposition text. */
  metrics(): Promise<string>;
}

/** Options of {@link serveWorkerMetrics}. */
export interface WorkerMetricsOptions {
  /** How often the worker refreshes its gauges, in ms. Default `5000`. */
  refreshMs?: number;
}

/** Aggregates every cluster worker's metrics in the primary. */
export interface ClusterAggregator {
  readonly contentType: string;
  /** Asks every worker for its metrics and returns them aggregated (gauges summed per label set). */
  metrics(): Promise<string>;
}

/** In the primary: creates a prom-client `AggregatorRegistry` over all workers. */
export async function createClusterAggregator(): Promise<ClusterAggregator> {
  const client = await loadPeer('prom-client', () => import('prom-client'));
  const aggregator = new client.AggregatorRegistry();
  return { contentType: aggregator.contentType, metrics: () => aggregator.clusterMetrics() };
}

/**
 * In a worker: serves `exporter.registry` to the primary's aggregator and refreshes it every `refreshMs`,
 * because prom-client answers the primary itself and cannot wait for an asynchronous refresh.
 * Returns a function that stops the refresh.
 */
export async function serveWorkerMetrics(
  exporter: RefreshableRegistry,
  options: WorkerMetricsOptions = {},
): Promise<() => void> {
  const refreshMs = options.refreshMs ?? 5000;
  if (!(Number.isFinite(refreshMs) && refreshMs > 0))
    throw new InvalidOptionError('refreshMs', 'a finite number > 0', refreshMs);
  const client = await loadPeer('prom-client', () => import('prom-client'));
  // Constructing an AggregatorRegistry is what installs prom-client's worker-side IPC listener.
  new client.AggregatorRegistry();
  client.AggregatorRegistry.setRegistries([exporter.registry]);
  await exporter.metrics();
  const timer = setInterval(() => void exporter.metrics().catch(() => undefined), refreshMs);
  timer.unref();
  return () => clearInterval(timer);
}
