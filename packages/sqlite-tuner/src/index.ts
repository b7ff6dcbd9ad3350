export {
  type BackupOptions,
  type BackupResult,
  type BackupStats,
  type Backups,
  createBackups,
  restoreBackup,
  verifyDatabaseFile,
} from './backup.js';
export { createWriteBatcher, type WriteBatcher, type WriteBatcherOptions, type WriteBatcherStats } from './batcher.js';
export { type BusyPolicy, isBusyError } from './busy.js';
export {
  type Closeable,
  type DatabaseStats,
  type OpenOptions,
  openDatabase,
  type StatementListener,
  type TunedDatabase,
} from './database.js';
export { defaults, type PragmaSettings, type PragmaValue, profiles } from './defaults.js';
export {
  BackupError,
  DatabaseBusyError,
  DatabaseClosedError,
  DatabaseOpenError,
  errors,
  InvalidOptionError,
  type OpenFailureReason,
  PilmsSqliteError,
  PragmaRejectedError,
} from './errors.js';
export type { Percentiles } from './latency.js';
export {
  type CheckpointResult,
  createMaintenance,
  type Maintenance,
  type MaintenanceOptions,
  type MaintenanceStats,
  type QuickCheckResult,
} from './maintenance.js';
export type { StatementStats } from './metrics.js';
export {
  createSlowQueryLog,
  type SlowQueryEntry,
  type SlowQueryLog,
  type SlowQueryLogOptions,
} from './slow-query-log.js';
export type { StatementCacheStats } from './statement-cache.js';
export { autoProfile, type PragmaReport, type ProfileName, type TuneOptions, type TuneReport, tune } from './tune.js';
