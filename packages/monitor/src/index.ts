export type { CpuCluster, CpuStats } from './cpu.js';
export { defaults, defaultThresholds } from './defaults.js';
export { CommandFailedError, errors, InvalidOptionError, MissingPeerError, PilmsMonitorError } from './errors.js';
export { flattenStats, type NumericLeaf, type StatsSource } from './flatten.js';
export {
  type CompareOptions,
  compareRuns,
  type MetricComparison,
  markdownTable,
  mergeRuns,
  parseRunFile,
  type RunFile,
} from './gate.js';
export type {
  DiskIo,
  DiskSpace,
  LoadStats,
  MemoryStats,
  NetworkInterface,
  PressureStats,
  ThermalZone,
} from './kernel-files.js';
export type { HistoryStore } from './memory-history.js';
export {
  type ClusterSnapshot,
  createMonitor,
  type Monitor,
  type MonitorOptions,
  type MonitorSnapshot,
} from './monitor.js';
export type { Percentiles } from './percentiles.js';
export { type RunCommandOptions, runCommand } from './perf-runner.js';
export {
  createProcessMonitor,
  type ProcessMonitor,
  type ProcessMonitorOptions,
  type ProcessSnapshot,
} from './process.js';
export {
  type Bottleneck,
  createReporter,
  type HistoryReader,
  type PerformanceReport,
  type Reporter,
  type ReporterOptions,
  type SeriesPoint,
} from './report.js';
export {
  createRequestTracker,
  type RequestRecord,
  type RequestStats,
  type RequestTracker,
  type RequestTrackerOptions,
  type RouteStats,
} from './requests.js';
export { clusterSeries, type RequestSeriesInput, seriesNames, toSeries } from './series.js';
export {
  createSystemCollector,
  type SystemCollector,
  type SystemCollectorOptions,
  type SystemSnapshot,
} from './system.js';
export {
  type AlertEvent,
  type AlertLevel,
  createThresholdWatcher,
  type ThresholdLevels,
  type ThresholdMetric,
  type ThresholdWatcher,
  type ThresholdWatcherOptions,
  type WatchedMetric,
} from './thresholds.js';
