import { clusterName } from './cpu.js';
import type { Percentiles } from './percentiles.js';
import type { ProcessSnapshot } from './process.js';
import type { SystemSnapshot } from './system.js';

/** Names of the series the reporter and dashboard read; record them in history with {@link toSeries}. */
export const seriesNames = {
  cpu: 'cpu_percent',
  bigCores: 'big_cores_percent',
  bigFreqRatio: 'big_cores_freq_ratio',
  memory: 'memory_percent',
  swap: 'swap_used_bytes',
  disk: 'disk_percent',
  heap: 'heap_used_bytes',
  eventLoopP99: 'event_loop_p99_ms',
  ioPressure: 'io_pressure_percent',
  socTemp: 'soc_temp_c',
  responseP50: 'response_time_p50_ms',
  responseP95: 'response_time_p95_ms',
  errorRate: 'error_rate_percent',
  activeUsers: 'active_users',
} as const;

/** Name of the busy-percent series of one cluster, e.g. `cpu_big_percent`. */
export const clusterSeries = (name: string): string => `cpu_${name}_percent`;

/** Request figures recorded in history: the error rate is the one of the last window, not since start. */
export interface RequestSeriesInput {
  latency: Percentiles;
  errorRatePercent: number;
  activeUsers: number;
}

/**
 * Flattens one system, process and request sample into the named series history stores.
 * The big cluster is the last one (clusters are ordered weakest first).
 */
export function toSeries(
  system: SystemSnapshot,
  process?: ProcessSnapshot,
  requests?: RequestSeriesInput,
): Record<string, number> {
  const values: Record<string, number> = {};
  const clusters = system.cpu?.clusters ?? [];
  const big = clusters.at(-1);
  if (system.cpu) values[seriesNames.cpu] = system.cpu.usagePercent;
  if (big) values[seriesNames.bigCores] = big.usagePercent;
  if (big?.curMhz !== undefined && big.maxMhz) values[seriesNames.bigFreqRatio] = big.curMhz / big.maxMhz;
  for (const [index, cluster] of clusters.entries()) {
    values[clusterSeries(clusterName(index, clusters.length))] = cluster.usagePercent;
  }
  if (system.memory) {
    values[seriesNames.memory] = system.memory.usedPercent;
    values[seriesNames.swap] = system.memory.swapUsedBytes;
  }
  if (system.disks.length > 0) values[seriesNames.disk] = Math.max(...system.disks.map((disk) => disk.usedPercent));
  if (system.pressure.io) values[seriesNames.ioPressure] = system.pressure.io.someAvg10;
  if (system.thermal.length > 0) values[seriesNames.socTemp] = Math.max(...system.thermal.map((zone) => zone.tempC));
  if (process) {
    values[seriesNames.heap] = process.heapUsedBytes;
    values[seriesNames.eventLoopP99] = process.eventLoopDelay.p99;
  }
  if (requests) {
    values[seriesNames.responseP50] = requests.latency.p50;
    values[seriesNames.responseP95] = requests.latency.p95;
    values[seriesNames.errorRate] = requests.errorRatePercent;
    values[seriesNames.activeUsers] = requests.activeUsers;
  }
  return values;
}
