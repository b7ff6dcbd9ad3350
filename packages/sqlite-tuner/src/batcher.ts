import type BetterSqlite3 from 'better-sqlite3';
import type { Params } from './bind.js';
import type { TunedDatabase } from './database.js';
import { defaults } from './defaults.js';
import { DatabaseClosedError } from './errors.js';
import { type Percentiles, SampleRing } from './latency.js';
import { assertNumber } from './validate.js';

/** Options of `createWriteBatcher()`. */
export interface WriteBatcherOptions {
  /**
   * Extra time a write may wait for others to join its batch (ms). `0` commits on the next event-loop
   * turn, grouping every write queued in the current one. Default `0`.
   */
  maxDelayMs?: number;
  /** Most writes in one transaction; a full batch commits at once. Default `500`. */
  maxBatchSize?: number;
  /** Signals on which the batcher flushes and closes, then re-raises the signal. Default `[]`. */
  flushOnSignals?: readonly NodeJS.Signals[];
  /** Name under which the batcher appears in the database's `stats().extensions`. Default `'batcher'`. */
  name?: string;
}

/** Plain-data snapshot of `WriteBatcher.stats()`. */
export interface WriteBatcherStats {
  batches: number;
  writes: number;
  /** Writes rejected on their own (their savepoint rolled back, the batch committed). */
  failedWrites: number;
  /** Batches whose whole transaction failed (e.g. the lock deadline passed). */
  failedBatches: number;
  pending: number;
  batchSize: Percentiles & { max: number };
}

/** Group commit: many small writes from concurrent callers share one IMMEDIATE transaction. */
export interface WriteBatcher {
  /** Queues a write; resolves after the transaction holding it commits, rejects if it alone failed. */
  run(sql: string, params?: Params): Promise<BetterSqlite3.RunResult>;
  /** Commits everything queued so far. */
  flush(): Promise<void>;
  stats(): WriteBatcherStats;
  /** Flushes, then refuses new writes. Idempotent. */
  close(): Promise<void>;
}

interface PendingWrite {
  sql: string;
  params: Params | undefined;
  resolve(result: BetterSqlite3.RunResult): void;
  reject(error: unknown): void;
}

type Outcome = { ok: true; result: BetterSqlite3.RunResult } | { ok: false; error: unknown };

/**
 * Creates a `WriteBatcher` on `db` and attaches it, so `db.close()` flushes it first. Each write runs
 * inside its own SAVEPOINT, so a failing statement rolls back alone and the rest of the batch commits.
 */
export function createWriteBatcher(db: TunedDatabase, options: WriteBatcherOptions = {}): WriteBatcher {
  const batcher = new Batcher(db, options);
  db.attach(options.name ?? 'batcher', batcher);
  return batcher;
}

class Batcher implements WriteBatcher {
  private readonly maxDelayMs: number;
  private readonly maxBatchSize: number;
  private queue: PendingWrite[] = [];
  private cancelScheduled: (() => void) | undefined;
  private draining: Promise<void> | undefined;
  private closed = false;
  private readonly sizes = new SampleRing(defaults.latencySamples);
  private readonly counts = { batches: 0, writes: 0, failedWrites: 0, failedBatches: 0 };
  private readonly signalHandlers = new Map<NodeJS.Signals, () => void>();
  // Held directly rather than through the LRU: they run twice per write, the hottest path of the batcher.
  private readonly savepoint: Record<'open' | 'release' | 'rollback', BetterSqlite3.Statement>;

  constructor(
    private readonly db: TunedDatabase,
    options: WriteBatcherOptions,
  ) {
    this.maxDelayMs = options.maxDelayMs ?? defaults.batchMaxDelayMs;
    assertNumber('maxDelayMs', this.maxDelayMs, 0);
    this.maxBatchSize = options.maxBatchSize ?? defaults.batchMaxSize;
    assertNumber('maxBatchSize', this.maxBatchSize, 1, true);
    this.savepoint = {
      open: db.raw.prepare('SAVEPOINT pilms_write'),
      release: db.raw.prepare('RELEASE pilms_write'),
      rollback: db.raw.prepare('ROLLBACK TO pilms_write'),
    };
    for (const signal of options.flushOnSignals ?? []) {
      const handler = () => {
        void this.close().finally(() => {
          this.removeSignalHandlers();
          process.kill(process.pid, signal);
        });
      };
      this.signalHandlers.set(signal, handler);
      process.once(signal, handler);
    }
  }

  run(sql: string, params?: Params): Promise<BetterSqlite3.RunResult> {
    if (this.closed) return Promise.reject(new DatabaseClosedError('WriteBatcher'));
    return new Promise((resolve, reject) => {
      this.queue.push({ sql, params, resolve, reject });
      if (this.queue.length >= this.maxBatchSize) void this.flush();
      else this.cancelScheduled ??= this.schedule();
    });
  }

  private schedule(): () => void {
    const flush = () => void this.flush();
    if (this.maxDelayMs === 0) {
      const immediate = setImmediate(flush);
      return () => clearImmediate(immediate);
    }
    const timer = setTimeout(flush, this.maxDelayMs);
    return () => clearTimeout(timer);
  }

  async flush(): Promise<void> {
    this.cancelScheduled?.();
    this.cancelScheduled = undefined;
    // Loops because writes can arrive after a running drain has seen an empty queue but before it settles.
    while (this.draining !== undefined || this.queue.length > 0) {
      this.draining ??= this.drain().finally(() => {
        this.draining = undefined;
      });
      await this.draining;
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatchSize);
      await this.commit(batch);
    }
  }

  private async commit(batch: PendingWrite[]): Promise<void> {
    let outcomes: Outcome[];
    try {
      outcomes = await this.db.transaction(() => batch.map((write) => this.runInSavepoint(write)));
    } catch (error) {
      this.counts.failedBatches++;
      for (const write of batch) write.reject(error);
      return;
    }
    this.counts.batches++;
    this.sizes.add(batch.length);
    batch.forEach((write, index) => {
      const outcome = outcomes[index] as Outcome;
      if (outcome.ok) {
        this.counts.writes++;
        write.resolve(outcome.result);
      } else {
        this.counts.failedWrites++;
        write.reject(outcome.error);
      }
    });
  }

  private runInSavepoint(write: PendingWrite): Outcome {
    this.savepoint.open.run();
    try {
      const result = this.db.runSync(write.sql, write.params);
      this.savepoint.release.run();
      return { ok: true, result };
    } catch (error) {
      this.savepoint.rollback.run();
      this.savepoint.release.run();
      return { ok: false, error };
    }
  }

  stats(): WriteBatcherStats {
    return {
      ...this.counts,
      pending: this.queue.length,
      batchSize: { ...this.sizes.percentiles(), max: this.sizes.max() },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.removeSignalHandlers();
    await this.flush();
  }

  private removeSignalHandlers(): void {
    for (const [signal, handler] of this.signalHandlers) process.removeListener(signal, handler);
    this.signalHandlers.clear();
  }
}
