import type { ProcessSnapshot } from './process.js';
import type { SystemSnapshot } from './system.js';

/** Names of the series the reporter reads; record them in history with {@link toSeries}. */
export const seriesNames = {
  cpu: 'cpu_percent',
  bigCores: 'big_cores_percent',
  bigFreqRatio: 'big_cores_freq_ratio',
  memory: 'memory_percent',
  swap: 'swap_used_bytes',
  heap: 'heap_used_bytes',
  eventLoopP99: 'event_loop_p99_ms',
  ioPressure: 'io_pressure_percent',
  socTemp: 'soc_temp_c',
} as const;

/**
 * Flattens one system and process sample into the named series history stores.
 * The big cluster is the last one (clusters are ordered weakest first).
 */
export function toSeries(system: SystemSnapshot, process?: ProcessSnapshot): Record<string, number> {
  const values: Record<string, number> = {};
  const big = system.cpu?.clusters.at(-1);
  if (system.cpu) values[seriesNames.cpu] = system.cpu.usagePercent;
  if (big) values[seriesNames.bigCores] = big.usagePercent;
  if (big?.curMhz !== undefined && big.maxMhz) values[seriesNames.bigFreqRatio] = big.curMhz / big.maxMhz;
  if (system.memory) {
    values[seriesNames.memory] = system.memory.usedPercent;
    values[seriesNames.swap] = system.memory.swapUsedBytes;
  }
  if (system.pressure.io) values[seriesNames.ioPressure] = system.pressure.io.someAvg10;
  const temps = system.thermal.map((zone) => zone.tempC);
  if (temps.length > 0) values[seriesNames.socTemp] = Math.max(...temps);
  if (process) {
    values[seriesNames.heap] = process.heapUsedBytes;
    values[seriesNames.eventLoopP99] = process.eventLoopDelay.p99;
  }
  return values;
}
