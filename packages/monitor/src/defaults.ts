/** Defaults of @pilms/monitor, shown in the README options table. */
export const defaults = {
  /** Root under which `/proc` and `/sys` are read (tests point it at a fixture tree). */
  root: '/',
  /** Paths whose filesystems are measured with statfs. */
  diskPaths: ['/'] as readonly string[],
  /** Period of `createMonitor().start()`'s collection, in ms. */
  intervalMs: 1000,
  /** Samples per series kept by `createMonitor` when no history store is given (1 h at 1 Hz). */
  memoryHistoryPoints: 3600,
  /** Resolution of `monitorEventLoopDelay`, in ms. */
  eventLoopResolutionMs: 10,
  /** Window during which a session counts as an active user, in ms. */
  activeUserWindowMs: 5 * 60_000,
  /** Distinct route patterns tracked before the rest are grouped under `other`. */
  maxRoutes: 200,
} as const;

/** Seed thresholds: warning / critical levels for each watched metric. */
export const defaultThresholds = {
  cpuPercent: { warning: 70, critical: 85 },
  memoryPercent: { warning: 75, critical: 90 },
  diskPercent: { warning: 80, critical: 95 },
  responseTimeMs: { warning: 2000, critical: 5000 },
  errorRatePercent: { warning: 5, critical: 10 },
  activeUsers: { warning: 45, critical: 50 },
  dbConnections: { warning: 15, critical: 20 },
  socTempC: { warning: 75, critical: 85 },
  eventLoopDelayMs: { warning: 100, critical: 500 },
} as const;
