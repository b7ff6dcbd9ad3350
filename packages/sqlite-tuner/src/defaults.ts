/** A pragma value as written in `PRAGMA name=value`. */
export type PragmaValue = string | number;

/** Pragma settings by name, e.g. `{ journal_mode: 'WAL', cache_size: -64000 }`. */
export type PragmaSettings = Record<string, PragmaValue>;

/** The pi5 profile: values for an Orange Pi 5 / Raspberry Pi 5 class board on SD or eMMC. */
const pi5: PragmaSettings = {
  page_size: 4096,
  auto_vacuum: 'INCREMENTAL',
  journal_mode: 'WAL',
  synchronous: 'NORMAL',
  cache_size: -64000,
  temp_store: 'MEMORY',
  mmap_size: 268435456,
  wal_autocheckpoint: 1000,
  journal_size_limit: 67108864,
  foreign_keys: 'ON',
};

/** Named pragma profiles. `auto` is computed from RAM by `autoProfile()`. */
export const profiles: Readonly<Record<'pi5' | 'server' | 'test', PragmaSettings>> = {
  pi5,
  server: { ...pi5, cache_size: -256000, mmap_size: 1073741824, wal_autocheckpoint: 4000 },
  // Tests trade durability for speed: a crash loses the last transactions, never corrupts.
  test: { ...pi5, synchronous: 'OFF', cache_size: -8000, mmap_size: 0 },
};

/** Every default of the package in one place (the README's options tables show these). */
export const defaults = {
  /** Pragma profile applied by `openDatabase()`/`tune()`. */
  profile: 'pi5' as const,
  /** Native busy_timeout (ms): short, because it sleeps the whole thread. */
  nativeBusyTimeoutMs: 5,
  /** How long async busy retries go on before `DatabaseBusyError`. */
  busyDeadlineMs: 5000,
  /** First retry delay; doubles per attempt with full jitter. */
  busyInitialDelayMs: 2,
  /** Largest delay between two retries. */
  busyMaxDelayMs: 100,
  /** Prepared statements kept in the LRU statement cache. */
  statementCacheSize: 200,
  /** Latency samples kept per statement for percentiles. */
  latencySamples: 512,
  /** Distinct statements tracked in `stats().statements`. */
  trackedStatements: 100,
  /** WriteBatcher: extra wait for more writes to join a batch (ms); 0 = commit on the next event-loop turn. */
  batchMaxDelayMs: 0,
  /** WriteBatcher: most writes per transaction. */
  batchMaxSize: 500,
  /** Maintenance: how often the scheduler looks at the WAL and freelist (ms). */
  maintenanceIntervalMs: 60_000,
  /** Maintenance: how often `PRAGMA optimize` runs (ms). */
  optimizeEveryMs: 3_600_000,
  /** Maintenance: TRUNCATE-checkpoint when the WAL passes this size (bytes). */
  walCheckpointBytes: 67_108_864,
  /** Maintenance: incomplete checkpoints in a row (with a growing WAL) that count as starvation. */
  starvationAfter: 3,
  /** Maintenance: free pages above which `incremental_vacuum` runs. */
  freelistPages: 1024,
  /** Backups kept by `createBackups()`. */
  backupKeep: 7,
  /** `auto` profile: share of RAM given to the page caches of all processes. */
  autoCacheShareOfRam: 0.05,
  /** `auto` profile: share of RAM given to mmap. */
  autoMmapShareOfRam: 0.125,
} as const;
