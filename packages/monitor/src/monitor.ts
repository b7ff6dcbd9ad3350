import { clusterName } from './cpu.js';
import { defaults } from './defaults.js';
import { InvalidOptionError } from './errors.js';
import { flattenStats, type StatsSource } from './flatten.js';
import type { DiskIo, DiskSpace, LoadStats, MemoryStats, NetworkInterface, ThermalZone } from './kernel-files.js';
import { createMemoryHistory, type HistoryStore } from './memory-history.js';
import { createProcessMonitor, type ProcessSnapshot } from './process.js';
import { createReporter, type PerformanceReport, type SeriesPoint } from './report.js';
import {
  createRequestTracker,
  type RequestStats,
  type RequestTracker,
  type RequestTrackerOptions,
} from './requests.js';
import { seriesNames, toSeries } from './series.js';
import { createSystemCollector, type SystemSnapshot } from './system.js';
import {
  type AlertEvent,
  createThresholdWatcher,
  type ThresholdWatcherOptions,
  type WatchedMetric,
} from './thresholds.js';

/** Options of {@link createMonitor}. */
export interface MonitorOptions {
  /** Directory holding `proc/` and `sys/`. Default `'/'`. */
  root?: string;
  /** Filesystems measured with statfs, relative to `root`. Default `['/']`. */
  diskPaths?: readonly string[];
  /** Period of `start()`'s collection, in ms. Default `1000`. */
  intervalMs?: number;
  /** `monitorEventLoopDelay` resolution, in ms. Default `10`. */
  eventLoopResolutionMs?: number;
  /** Request tracking: `false` to disable, or the tracker's options. Default: enabled with its defaults. */
  requests?: false | RequestTrackerOptions;
  /** Objects whose `stats()` is read on every tick, by name (e.g. `{ db: tuner, cache, ai: queue }`). Default `{}`. */
  sources?: Record<string, StatsSource>;
  /**
   * Where series are stored: e.g. `await openHistory({ path })` from `@pilms/monitor/history`.
   * Closed by `close()`. Default: in memory, the last 3600 samples of each series (1 h at the default interval).
   */
  history?: HistoryStore;
  /**
   * Source leaves (their `flattenStats` names, like `ai_queue_depth`) recorded in history:
   * `'all'` or a list. Default `'all'`.
   */
  sourceSeries?: 'all' | readonly string[];
  /**
   * Source leaves fed to the threshold watcher, by watched metric: `{ dbConnections: 'db_pool_active' }`.
   * A custom metric name needs its levels in `thresholds`. Default `{}`.
   */
  sourceMetrics?: Record<string, string>;
  /** Levels, hysteresis, minimum duration and webhook of the threshold watcher (see {@link ThresholdWatcherOptions}). */
  thresholds?: Omit<ThresholdWatcherOptions, 'onAlert'>;
  /** Receives a failed tick or source read in `start()`'s loop. Default `process.emitWarning`. */
  onError?: (error: unknown) => void;
}

/** One CPU cluster in the snapshot. */
export interface ClusterSnapshot {
  /** `little`, `big` (`mid` between), or `all` on uniform CPUs. */
  name: string;
  cores: number[];
  busyPercent: number;
  freqMHz?: number;
  maxFreqMHz?: number;
}

/** The combined JSON the dashboard reads from `snapshot()`. */
export interface MonitorSnapshot {
  /** Unix time in ms of the collection. */
  time: number;
  system: {
    cpu?: { total: number; perCore: number[]; clusters: ClusterSnapshot[] };
    memory?: MemoryStats;
    disk: { usedPercent?: number; filesystems: DiskSpace[]; io: DiskIo[] };
    thermal: { hottestC?: number; zones: ThermalZone[] };
    pressure: SystemSnapshot['pressure'];
    load?: LoadStats;
    network: NetworkInterface[];
  };
  process: ProcessSnapshot;
  /** Absent when request tracking is disabled. */
  requests?: RequestStats;
  /** Raw `stats()` of every source by name. */
  sources: Record<string, object>;
  /** The latest event of every metric that is not `ok`. */
  alerts: AlertEvent[];
}

/** System, process, request and source metrics with thresholds, history and reports in one object. */
export interface Monitor {
  /** The tracker to feed from `trackFastify` / `trackHttp`; absent when `requests: false`. */
  readonly requests?: RequestTracker;
  /** Collects every `intervalMs` (the timer does not keep the process alive). Idempotent. */
  start(): void;
  /** Collects once now, records history, checks thresholds and returns the new snapshot. */
  tick(): Promise<MonitorSnapshot>;
  /** The latest snapshot; `undefined` before the first tick. */
  snapshot(): MonitorSnapshot | undefined;
  /** Subscribes to level changes; returns the unsubscribe function. */
  on(event: 'alert', listener: (event: AlertEvent) => void): () => void;
  /** The latest event of every metric that is not `ok`. */
  alerts(): AlertEvent[];
  /** Bottlenecks, trends and recommendations over the last `periodMs` (default 1 h) of history. */
  report(options?: { periodMs?: number }): PerformanceReport;
  /** Points of one series over the last `sinceMs` (default 1 h): 1 s points up to an hour, 1 min averages beyond. */
  history(series: string, options?: { sinceMs?: number }): SeriesPoint[];
  /** Stops the timer and the observers, and closes the history. Idempotent. */
  close(): Promise<void>;
}

const hour = 3_600_000;

function validate(options: MonitorOptions): void {
  const intervalMs = options.intervalMs ?? defaults.intervalMs;
  if (!(Number.isFinite(intervalMs) && intervalMs >= 10)) {
    throw new InvalidOptionError('intervalMs', 'a finite number >= 10', intervalMs);
  }
  for (const [name, source] of Object.entries(options.sources ?? {})) {
    if (typeof source?.stats !== 'function') {
      throw new InvalidOptionError(`sources.${name}`, 'an object with stats()', source);
    }
  }
  if (options.history !== undefined && typeof options.history.query !== 'function') {
    throw new InvalidOptionError('history', 'an object with record() and query()', options.history);
  }
}

function toClusters(cpu: NonNullable<SystemSnapshot['cpu']>): ClusterSnapshot[] {
  return cpu.clusters.map((cluster, index) => {
    const entry: ClusterSnapshot = {
      name: clusterName(index, cpu.clusters.length),
      cores: cluster.cpus,
      busyPercent: cluster.usagePercent,
    };
    if (cluster.curMhz !== undefined) entry.freqMHz = cluster.curMhz;
    if (cluster.maxMhz !== undefined) entry.maxFreqMHz = cluster.maxMhz;
    return entry;
  });
}

function systemSection(system: SystemSnapshot, series: Record<string, number>): MonitorSnapshot['system'] {
  const section: MonitorSnapshot['system'] = {
    disk: { filesystems: system.disks, io: system.diskIo },
    thermal: { zones: system.thermal },
    pressure: system.pressure,
    network: system.network,
  };
  const disk = series[seriesNames.disk];
  const hottest = series[seriesNames.socTemp];
  if (disk !== undefined) section.disk.usedPercent = disk;
  if (hottest !== undefined) section.thermal.hottestC = hottest;
  if (system.cpu) {
    section.cpu = { total: system.cpu.usagePercent, perCore: system.cpu.cores, clusters: toClusters(system.cpu) };
  }
  if (system.memory) section.memory = system.memory;
  if (system.load) section.load = system.load;
  return section;
}

/**
 * Creates one monitor that owns a system collector, a process monitor, an optional request tracker,
 * named `stats()` sources, a history store and a threshold watcher fed from every collection.
 */
export function createMonitor(options: MonitorOptions = {}): Monitor {
  validate(options);
  const intervalMs = options.intervalMs ?? defaults.intervalMs;
  const sources = options.sources ?? {};
  const sourceSeries = options.sourceSeries ?? 'all';
  const sourceMetrics = options.sourceMetrics ?? {};
  const onError = options.onError ?? ((error: unknown) => process.emitWarning(String(error)));
  const system = createSystemCollector({
    root: options.root ?? defaults.root,
    diskPaths: options.diskPaths ?? defaults.diskPaths,
  });
  const proc = createProcessMonitor({
    eventLoopResolutionMs: options.eventLoopResolutionMs ?? defaults.eventLoopResolutionMs,
  });
  const requests = options.requests === false ? undefined : createRequestTracker(options.requests);
  const history = options.history ?? createMemoryHistory(defaults.memoryHistoryPoints);
  const listeners = new Set<(event: AlertEvent) => void>();
  const active = new Map<WatchedMetric, AlertEvent>();
  const watcher = createThresholdWatcher({
    ...options.thresholds,
    onAlert(event) {
      if (event.level === 'ok') active.delete(event.metric);
      else active.set(event.metric, event);
      for (const listener of listeners) listener(event);
    },
  });
  let latest: MonitorSnapshot | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<MonitorSnapshot> | undefined;
  let counted = { requests: 0, errors: 0 };
  let closed = false;

  const readSources = () => {
    const raw: Record<string, object> = {};
    const leaves: Record<string, number> = {};
    for (const [name, source] of Object.entries(sources)) {
      try {
        raw[name] = source.stats();
      } catch (error) {
        onError(error);
        continue;
      }
      for (const leaf of flattenStats(raw[name], name)) leaves[leaf.name] = leaf.value;
    }
    return { raw, leaves };
  };

  const collect = async (): Promise<MonitorSnapshot> => {
    const sys = await system.collect();
    const time = sys.timestamp;
    const processStats = proc.sample();
    const requestStats = requests?.stats();
    // Alerts follow the error rate of this window: a cumulative rate would never recover after a bad minute.
    let windowErrorRate = 0;
    if (requestStats) {
      const handled = requestStats.requests - counted.requests;
      if (handled > 0) windowErrorRate = (100 * (requestStats.errors - counted.errors)) / handled;
      counted = { requests: requestStats.requests, errors: requestStats.errors };
    }
    const app = requestStats && { ...requestStats, errorRatePercent: windowErrorRate };
    const series = toSeries(sys, processStats, app);
    const { raw, leaves } = readSources();
    const recorded = sourceSeries === 'all' ? leaves : pick(leaves, sourceSeries);
    history.record({ ...series, ...recorded }, time);
    const values: Partial<Record<WatchedMetric, number | undefined>> = {
      cpuPercent: series[seriesNames.cpu],
      memoryPercent: series[seriesNames.memory],
      diskPercent: series[seriesNames.disk],
      socTempC: series[seriesNames.socTemp],
      eventLoopDelayMs: series[seriesNames.eventLoopP99],
      responseTimeMs: series[seriesNames.responseP95],
      errorRatePercent: series[seriesNames.errorRate],
      activeUsers: series[seriesNames.activeUsers],
    };
    for (const [metric, leaf] of Object.entries(sourceMetrics)) values[metric] = leaves[leaf];
    watcher.check(values, time);
    const snapshot: MonitorSnapshot = {
      time,
      system: systemSection(sys, series),
      process: processStats,
      sources: raw,
      alerts: [...active.values()],
    };
    if (requestStats) snapshot.requests = requestStats;
    latest = snapshot;
    return snapshot;
  };

  return {
    ...(requests && { requests }),
    start() {
      if (timer || closed) return;
      timer = setInterval(() => {
        // A slow disk must not stack collections: skip the beat while one is still running.
        if (running) return;
        running = collect();
        running.catch(onError).finally(() => {
          running = undefined;
        });
      }, intervalMs);
      timer.unref();
    },
    tick: collect,
    snapshot: () => latest,
    on(_event, listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    alerts: () => [...active.values()],
    report({ periodMs = hour } = {}) {
      return createReporter({ history }).report({ period: periodMs });
    },
    history(series, { sinceMs = hour } = {}) {
      if (!(Number.isFinite(sinceMs) && sinceMs > 0)) {
        throw new InvalidOptionError('sinceMs', 'a finite number > 0', sinceMs);
      }
      const to = Date.now();
      return history.query(series, { from: to - sinceMs, to, resolution: sinceMs <= hour ? '1s' : '1m' });
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
      await proc.close();
      await history.close?.();
    },
  };
}

function pick(leaves: Record<string, number>, names: readonly string[]): Record<string, number> {
  const picked: Record<string, number> = {};
  for (const name of names) if (leaves[name] !== undefined) picked[name] = leaves[name];
  return picked;
}
