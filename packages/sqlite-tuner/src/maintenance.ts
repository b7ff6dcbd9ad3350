import type { TunedDatabase } from './database.js';
import { defaults } from './defaults.js';
import { assertNumber } from './validate.js';

/** Options of `createMaintenance()`. */
export interface MaintenanceOptions {
  /** How often the scheduler checks the WAL, freelist and idleness (ms). Default `60000`. */
  intervalMs?: number;
  /** How often `PRAGMA optimize` runs (ms). Default `3600000`. */
  optimizeEveryMs?: number;
  /** TRUNCATE-checkpoint when the WAL file is larger than this (bytes). Default `67108864`. */
  walCheckpointBytes?: number;
  /** Consecutive checkpoints that could not finish (readers held old snapshots) before starvation is reported. Default `3`. */
  starvationAfter?: number;
  /** Run `incremental_vacuum` when more pages than this are free. Default `1024`. */
  freelistPages?: number;
}

/** Outcome of one WAL checkpoint, as `PRAGMA wal_checkpoint` reports it. */
export interface CheckpointResult {
  /** 1 when the checkpoint could not complete because another connection was busy. */
  busy: number;
  /** Frames in the WAL. */
  log: number;
  /** Frames copied back into the database. */
  checkpointed: number;
}

/** Plain-data snapshot of `Maintenance.stats()`. */
export interface MaintenanceStats {
  optimizeRuns: number;
  checkpoints: { runs: number; incomplete: number; lastBusy: number; lastLog: number; lastCheckpointed: number };
  /** 1 while the last `starvationAfter` checkpoints all failed to finish and the WAL grew. */
  starved: number;
  incrementalVacuums: number;
  pagesVacuumed: number;
  quickChecks: number;
  quickCheckFailures: number;
}

/** The result of `quickCheck()`. */
export interface QuickCheckResult {
  ok: boolean;
  /** SQLite's messages; `['ok']` when healthy. */
  messages: string[];
}

/** Scheduled upkeep of one database; timers are unref'd so they never keep a process alive. */
export interface Maintenance {
  /** Runs one scheduler round now: checkpoint if the WAL is big or the db was idle, vacuum if the freelist is big. */
  tick(): void;
  optimize(): void;
  checkpoint(): CheckpointResult;
  incrementalVacuum(): number;
  quickCheck(): QuickCheckResult;
  stats(): MaintenanceStats;
  /** Stops the timers and runs `PRAGMA optimize` once. Idempotent. */
  close(): Promise<void>;
}

/** Starts the maintenance scheduler of `db` and attaches it (`db.stats().extensions.maintenance`). */
export function createMaintenance(db: TunedDatabase, options: MaintenanceOptions = {}): Maintenance {
  const maintenance = new Scheduler(db, options);
  db.attach('maintenance', maintenance);
  return maintenance;
}

class Scheduler implements Maintenance {
  private readonly walCheckpointBytes: number;
  private readonly starvationAfter: number;
  private readonly freelistPages: number;
  private readonly timers: NodeJS.Timeout[];
  private lastStatements = -1;
  private incompleteStreak = 0;
  private walAtStreakStart = 0;
  private closed = false;
  private readonly counts: MaintenanceStats = {
    optimizeRuns: 0,
    checkpoints: { runs: 0, incomplete: 0, lastBusy: 0, lastLog: 0, lastCheckpointed: 0 },
    starved: 0,
    incrementalVacuums: 0,
    pagesVacuumed: 0,
    quickChecks: 0,
    quickCheckFailures: 0,
  };

  constructor(
    private readonly db: TunedDatabase,
    options: MaintenanceOptions,
  ) {
    const intervalMs = options.intervalMs ?? defaults.maintenanceIntervalMs;
    assertNumber('intervalMs', intervalMs, 1);
    const optimizeEveryMs = options.optimizeEveryMs ?? defaults.optimizeEveryMs;
    assertNumber('optimizeEveryMs', optimizeEveryMs, 1);
    this.walCheckpointBytes = options.walCheckpointBytes ?? defaults.walCheckpointBytes;
    assertNumber('walCheckpointBytes', this.walCheckpointBytes, 0);
    this.starvationAfter = options.starvationAfter ?? defaults.starvationAfter;
    assertNumber('starvationAfter', this.starvationAfter, 1, true);
    this.freelistPages = options.freelistPages ?? defaults.freelistPages;
    assertNumber('freelistPages', this.freelistPages, 0, true);
    this.timers = [setInterval(() => this.tick(), intervalMs), setInterval(() => this.optimize(), optimizeEveryMs)];
    for (const timer of this.timers) timer.unref();
  }

  tick(): void {
    const { statements, wal } = this.db.stats();
    const idle = statements.total === this.lastStatements;
    this.lastStatements = statements.total;
    if (wal.bytes > 0 && (idle || wal.bytes >= this.walCheckpointBytes)) this.checkpoint();
    if ((this.db.raw.pragma('freelist_count', { simple: true }) as number) > this.freelistPages)
      this.incrementalVacuum();
  }

  optimize(): void {
    this.db.raw.pragma('optimize');
    this.counts.optimizeRuns++;
  }

  checkpoint(): CheckpointResult {
    const walBefore = this.db.stats().wal.bytes;
    const [result] = this.db.raw.pragma('wal_checkpoint(TRUNCATE)') as CheckpointResult[];
    const outcome = result ?? { busy: 0, log: 0, checkpointed: 0 };
    const checkpoints = this.counts.checkpoints;
    checkpoints.runs++;
    Object.assign(checkpoints, {
      lastBusy: outcome.busy,
      lastLog: outcome.log,
      lastCheckpointed: outcome.checkpointed,
    });
    const incomplete = outcome.busy !== 0 || outcome.checkpointed < outcome.log;
    if (incomplete) {
      checkpoints.incomplete++;
      if (this.incompleteStreak === 0) this.walAtStreakStart = walBefore;
      this.incompleteStreak++;
    } else {
      this.incompleteStreak = 0;
    }
    // Starvation: readers keep old snapshots open, so checkpoints never finish and the WAL only grows.
    const grew = this.db.stats().wal.bytes > this.walAtStreakStart;
    this.counts.starved = this.incompleteStreak >= this.starvationAfter && grew ? 1 : 0;
    return outcome;
  }

  incrementalVacuum(): number {
    const before = this.db.raw.pragma('freelist_count', { simple: true }) as number;
    this.db.raw.pragma('incremental_vacuum');
    const freed = before - (this.db.raw.pragma('freelist_count', { simple: true }) as number);
    this.counts.incrementalVacuums++;
    this.counts.pagesVacuumed += freed;
    return freed;
  }

  quickCheck(): QuickCheckResult {
    const messages = (this.db.raw.pragma('quick_check') as { quick_check: string }[]).map((row) => row.quick_check);
    const ok = messages.length === 1 && messages[0] === 'ok';
    this.counts.quickChecks++;
    if (!ok) this.counts.quickCheckFailures++;
    return { ok, messages };
  }

  stats(): MaintenanceStats {
    return { ...this.counts, checkpoints: { ...this.counts.checkpoints } };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
  }
}
