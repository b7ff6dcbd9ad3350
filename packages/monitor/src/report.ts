import { defaultThresholds } from './defaults.js';
import { InvalidOptionError } from './errors.js';
import { type Percentiles, percentiles } from './percentiles.js';
import { seriesNames } from './series.js';

/** A point of a stored series (Unix ms and value). */
export interface SeriesPoint {
  t: number;
  value: number;
}

/** What the reporter needs from a history store (the `@pilms/monitor/history` adapter fits). */
export interface HistoryReader {
  query(metric: string, options: { from: number; to: number; resolution: '1s' | '1m' }): SeriesPoint[];
}

/** A classified bottleneck. */
export type Bottleneck = 'big-cores-saturated' | 'event-loop' | 'io-pressure' | 'memory-swap' | 'thermal-throttling';

/** Shape returned by `report()`. */
export interface PerformanceReport {
  from: number;
  to: number;
  /** p50/p95/p99 of every series with data. */
  series: Record<string, Percentiles & { samples: number }>;
  bottlenecks: Bottleneck[];
  /** Heap growth relative to its mean, in % per hour; `leakSuspected` when above 10 %/h. */
  memoryGrowth?: { percentPerHour: number; leakSuspected: boolean };
  /** CPU trend in percentage points per hour and, if rising, hours until the critical level. */
  capacityTrend?: { cpuPointsPerHour: number; hoursToCritical?: number };
  recommendations: string[];
}

/** Options of {@link createReporter}. */
export interface ReporterOptions {
  history: HistoryReader;
}

/** Builds reports from stored history. */
export interface Reporter {
  /** Report over the last `period` ms before `now` (default `Date.now()`). */
  report(options: { period: number; now?: number }): PerformanceReport;
}

const advice: Record<Bottleneck, string> = {
  'big-cores-saturated':
    'The four fast cores are saturated: move CPU-heavy work (image or video transcoding, AI) to worker threads pinned to the little cores or to off-peak hours.',
  'event-loop':
    'The Node event loop is blocked: move synchronous work (large JSON, templates, sync SQLite on big queries) to worker threads and check for long loops.',
  'io-pressure':
    'Tasks are waiting on storage: cache hot pages and media in memory, batch SQLite writes, and prefer eMMC or an SSD over the SD card.',
  'memory-swap': 'Memory is nearly full and swapping: lower cache sizes, limit concurrent AI jobs, or add zram.',
  'thermal-throttling':
    'The SoC is hot and the big cores run below their maximum frequency: add a heatsink and fan before adding load.',
};

/** Least-squares slope of the points in value per ms. */
function slope(points: SeriesPoint[]): number {
  if (points.length < 2) return 0;
  const meanT = points.reduce((sum, p) => sum + p.t, 0) / points.length;
  const meanV = points.reduce((sum, p) => sum + p.value, 0) / points.length;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - meanT) * (p.value - meanV);
    den += (p.t - meanT) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const hour = 3_600_000;

/** Creates a reporter that classifies bottlenecks and trends from history. */
export function createReporter(options: ReporterOptions): Reporter {
  if (typeof options.history?.query !== 'function') {
    throw new InvalidOptionError('history', 'an object with query()', options.history);
  }
  return {
    report({ period, now = Date.now() }) {
      if (!(Number.isFinite(period) && period > 0))
        throw new InvalidOptionError('period', 'a finite number > 0', period);
      const from = now - period;
      // 1-second points only exist for the last hour; longer periods read the minute averages.
      const resolution = period <= hour ? '1s' : '1m';
      const read = (metric: string) => options.history.query(metric, { from, to: now, resolution });
      const data = Object.fromEntries(Object.values(seriesNames).map((name) => [name, read(name)]));
      const series: PerformanceReport['series'] = {};
      for (const [name, points] of Object.entries(data)) {
        if (points.length > 0) series[name] = { ...percentiles(points.map((p) => p.value)), samples: points.length };
      }
      const p95 = (name: string) => series[name]?.p95 ?? 0;
      const bottlenecks: Bottleneck[] = [];
      if (p95(seriesNames.bigCores) >= defaultThresholds.cpuPercent.critical) bottlenecks.push('big-cores-saturated');
      if (p95(seriesNames.eventLoopP99) >= defaultThresholds.eventLoopDelayMs.warning) bottlenecks.push('event-loop');
      if (p95(seriesNames.ioPressure) >= 10) bottlenecks.push('io-pressure');
      const memory = p95(seriesNames.memory);
      const swapping = p95(seriesNames.swap) > 0 && memory >= defaultThresholds.memoryPercent.warning;
      if (memory >= defaultThresholds.memoryPercent.critical || swapping) bottlenecks.push('memory-swap');
      const ratioAt = new Map((data[seriesNames.bigFreqRatio] ?? []).map((p) => [p.t, p.value]));
      const throttled = (data[seriesNames.socTemp] ?? []).some(
        (p) => p.value >= defaultThresholds.socTempC.warning && (ratioAt.get(p.t) ?? 1) < 0.95,
      );
      if (throttled) bottlenecks.push('thermal-throttling');
      const report: PerformanceReport = {
        from,
        to: now,
        series,
        bottlenecks,
        recommendations: bottlenecks.map((b) => advice[b]),
      };
      const heap = data[seriesNames.heap] ?? [];
      if (heap.length >= 2) {
        const mean = heap.reduce((sum, p) => sum + p.value, 0) / heap.length;
        const percentPerHour = mean > 0 ? (100 * slope(heap) * hour) / mean : 0;
        report.memoryGrowth = { percentPerHour, leakSuspected: percentPerHour > 10 };
        if (percentPerHour > 10) {
          report.recommendations.push(
            `The heap grows ${percentPerHour.toFixed(0)} % per hour: take two heap snapshots an hour apart and compare retained objects.`,
          );
        }
      }
      const cpu = data[seriesNames.cpu] ?? [];
      const last = cpu.at(-1);
      if (cpu.length >= 2 && last) {
        const cpuPointsPerHour = slope(cpu) * hour;
        report.capacityTrend = { cpuPointsPerHour };
        const headroom = defaultThresholds.cpuPercent.critical - last.value;
        if (cpuPointsPerHour > 0 && headroom > 0) report.capacityTrend.hoursToCritical = headroom / cpuPointsPerHour;
      }
      return report;
    },
  };
}
