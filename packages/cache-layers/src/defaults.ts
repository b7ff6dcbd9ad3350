/** Every default of the package in one place (the README's options tables show these). */
export const defaults = {
  /** Time to live of an entry, ms. */
  ttlMs: 5 * 60_000,
  /** Grace after expiry during which a stale value may be served while one refresh runs, ms. */
  graceMs: 0,
  maxKeyLength: 512,
  hotMaxEntries: 10_000,
  hotMaxBytes: 32 * 2 ** 20,
  compressedMaxBytes: 64 * 2 ** 20,
  compressThresholdBytes: 1024,
  l2TimeoutMs: 250,
  breakerMs: 5_000,
  lockTtlMs: 10_000,
  lockPollMs: 20,
  adaptiveHotReads: 10,
  snapshotMaxKeys: 1_000,
  writeBehind: {
    maxDelayMs: 100,
    maxBatch: 500,
    maxPending: 10_000,
    retries: 5,
    retryBaseMs: 100,
    retryMaxMs: 5_000,
    groupCommitMs: 5,
  },
} as const;
