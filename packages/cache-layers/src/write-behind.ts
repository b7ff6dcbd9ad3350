import { setTimeout as sleep } from 'node:timers/promises';
import { defaults } from './defaults.js';
import { ClosedError, FlushFailedError, InvalidOptionError } from './errors.js';
import { type Journal, journalLine, openJournal } from './journal.js';
import { createLatencyWindow } from './latency.js';
import { checkFunction, checkNumber } from './validate.js';

/** One coalesced write handed to `flush`. */
export interface WriteBehindItem<V> {
  key: string;
  value: V;
}

/** Options of {@link createWriteBehind}. */
export interface WriteBehindOptions<V> {
  /** Persists one batch (e.g. one SQLite transaction); a rejection is retried with backoff. Required. */
  flush: (batch: WriteBehindItem<V>[]) => Promise<void>;
  /** Longest a write waits before its batch is flushed, ms. Default 100. */
  maxDelayMs?: number;
  /** Largest batch; reaching it flushes at once. Default 500. */
  maxBatch?: number;
  /** Distinct pending keys at which `write` waits for a flush (backpressure). Default 10000. */
  maxPending?: number;
  /** Combines a pending value with a newer one for the same key. Default: the newer wins. */
  merge?: (previous: V, next: V) => V;
  /** Retries of a failing batch before it is put back as pending. Default 5. */
  retries?: number;
  /** First retry delay, doubled each retry, ms. Default 100. */
  retryBaseMs?: number;
  /** Cap of the retry delay, ms. Default 5000. */
  retryMaxMs?: number;
  /** Durable mode: append every write to this journal, fsync in groups, replay it at start. Default off. */
  journalPath?: string;
  /** How long a durable write waits to share one fsync with others, ms. Default 5. */
  groupCommitMs?: number;
  /** Signals on which to flush and close before the process exits, e.g. `['SIGTERM', 'SIGINT']`. Default none. */
  signals?: readonly NodeJS.Signals[];
  /** Called when a batch failed all retries (its writes stay pending). Default: none. */
  onError?: (error: FlushFailedError) => void;
}

/** Plain-data metrics of a write-behind queue. */
export interface WriteBehindStats {
  pending: number;
  inFlight: number;
  writes: number;
  coalesced: number;
  flushed: number;
  batches: number;
  retries: number;
  failures: number;
  replayed: number;
  backpressureWaits: number;
  flushMs: { p50: number; p95: number; p99: number };
}

/** A write-behind queue: `write` is acknowledged fast, batches reach `flush` later. */
export interface WriteBehind<V> {
  /**
   * Queues a write. Resolves when it is acknowledged: at once, or after the group fsync in durable
   * mode, or after a flush made room when `maxPending` was reached.
   */
  write(key: string, value: V): Promise<void>;
  /** Flushes everything pending now. */
  flush(): Promise<void>;
  stats(): WriteBehindStats;
  /** Flushes, closes the journal and removes signal handlers. Idempotent. */
  close(): Promise<void>;
}

function validate<V>(options: WriteBehindOptions<V>): void {
  if (typeof options?.flush !== 'function') throw new InvalidOptionError('flush', 'a function', options?.flush);
  checkNumber('maxDelayMs', options.maxDelayMs);
  checkNumber('maxBatch', options.maxBatch, 1);
  checkNumber('maxPending', options.maxPending, 1);
  checkNumber('retries', options.retries);
  checkNumber('retryBaseMs', options.retryBaseMs);
  checkNumber('retryMaxMs', options.retryMaxMs);
  checkNumber('groupCommitMs', options.groupCommitMs);
  checkFunction('merge', options.merge);
  checkFunction('onError', options.onError);
}

/**
 * Creates a write-behind queue that coalesces writes by key and flushes them in batches.
 *
 * Loss window without `journalPath`: every acknowledged write that has not yet been passed to a
 * `flush` call that resolved is lost if the process dies (at most `maxDelayMs` plus the time the
 * flush takes, and up to `maxPending` keys, longer while the target fails and batches are
 * retried). With `journalPath`, an acknowledged write is on disk (fsynced) and is replayed at the
 * next start: delivery is at-least-once, so `flush` must be idempotent (upserts).
 */
export function createWriteBehind<V>(options: WriteBehindOptions<V>): WriteBehind<V> {
  validate(options);
  const d = defaults.writeBehind;
  const maxDelayMs = options.maxDelayMs ?? d.maxDelayMs;
  const maxBatch = options.maxBatch ?? d.maxBatch;
  const maxPending = options.maxPending ?? d.maxPending;
  const retries = options.retries ?? d.retries;
  const retryBaseMs = options.retryBaseMs ?? d.retryBaseMs;
  const retryMaxMs = options.retryMaxMs ?? d.retryMaxMs;
  const groupCommitMs = options.groupCommitMs ?? d.groupCommitMs;
  const merge = options.merge ?? ((_previous: V, next: V) => next);

  const pending = new Map<string, V>();
  let inFlight: WriteBehindItem<V>[] = [];
  const counters = {
    writes: 0,
    coalesced: 0,
    flushed: 0,
    batches: 0,
    retries: 0,
    failures: 0,
    replayed: 0,
    backpressureWaits: 0,
  };
  const flushMs = createLatencyWindow();
  let spaceWaiters: Array<() => void> = [];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let closed = false;
  let lastFailed = false;
  let closing: Promise<void> | undefined;

  const journal: Journal | undefined = options.journalPath ? openJournal(options.journalPath) : undefined;
  let group: { lines: string[]; acks: Array<() => void> } = { lines: [], acks: [] };
  let groupTimer: NodeJS.Timeout | undefined;

  const commitGroup = () => {
    clearTimeout(groupTimer);
    groupTimer = undefined;
    if (!journal || group.lines.length === 0) return;
    const { lines, acks } = group;
    group = { lines: [], acks: [] };
    journal.append(lines);
    for (const ack of acks) ack();
  };

  const enqueue = (key: string, value: V) => {
    const previous = pending.get(key);
    if (pending.has(key)) counters.coalesced++;
    pending.set(key, pending.has(key) ? merge(previous as V, value) : value);
  };

  // Failures are reported through onError and the batch stays pending; nobody awaits these.
  const drainLater = () => void drainOnce().catch(() => {});

  const schedule = (delayMs = maxDelayMs) => {
    if (closed) return;
    if (pending.size >= maxBatch) drainLater();
    else if (!timer && pending.size > 0) {
      timer = setTimeout(() => {
        timer = undefined;
        drainLater();
      }, delayMs);
    }
  };

  async function flushWithRetry(batch: WriteBehindItem<V>[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      try {
        await options.flush(batch);
        flushMs.add(performance.now() - started);
        return;
      } catch (cause) {
        if (attempt >= retries) throw new FlushFailedError(attempt + 1, batch.length, { cause });
        counters.retries++;
        await sleep(Math.min(retryMaxMs, retryBaseMs * 2 ** attempt));
      }
    }
  }

  /** Flushes one batch; only one runs at a time so batches reach `flush` in write order. */
  function drainOnce(): Promise<void> {
    if (running) return running;
    clearTimeout(timer);
    timer = undefined;
    if (pending.size === 0) return Promise.resolve();
    inFlight = [];
    for (const [key, value] of pending) {
      inFlight.push({ key, value });
      pending.delete(key);
      if (inFlight.length >= maxBatch) break;
    }
    const batch = inFlight;
    running = flushWithRetry(batch)
      .then(() => {
        lastFailed = false;
        counters.batches++;
        counters.flushed += batch.length;
      })
      .catch((error: FlushFailedError) => {
        counters.failures++;
        lastFailed = true;
        // Put the batch back under any newer writes of the same keys, so nothing acknowledged is lost.
        for (const { key, value } of batch) if (!pending.has(key)) pending.set(key, value);
        options.onError?.(error);
        throw error;
      })
      .finally(() => {
        inFlight = [];
        running = undefined;
        if (journal) {
          commitGroup();
          journal.rewrite([...pending].map(([key, value]) => journalLine(key, value)));
        }
        const waiters = spaceWaiters;
        spaceWaiters = [];
        for (const wake of waiters) wake();
        schedule(lastFailed ? retryMaxMs : maxDelayMs);
      });
    return running;
  }

  if (journal) {
    for (const record of journal.replay()) {
      enqueue(record.key, record.value as V);
      counters.replayed++;
    }
    schedule();
  }

  const onSignal = (signal: NodeJS.Signals) => {
    void close().finally(() => {
      // Re-raise with the handlers gone so the process exits the way the signal asked.
      process.kill(process.pid, signal);
    });
  };
  for (const signal of options.signals ?? []) process.once(signal, onSignal);

  async function flushAll(): Promise<void> {
    commitGroup();
    while (pending.size > 0 || running) await drainOnce();
  }

  function close(): Promise<void> {
    if (closing) return closing;
    closed = true;
    for (const signal of options.signals ?? []) process.removeListener(signal, onSignal);
    closing = flushAll().finally(() => {
      clearTimeout(timer);
      commitGroup();
      journal?.close();
    });
    return closing;
  }

  return {
    async write(key, value) {
      if (closed) throw new ClosedError('This write-behind queue');
      if (typeof key !== 'string' || key.length === 0) throw new InvalidOptionError('key', 'a non-empty string', key);
      while (!pending.has(key) && pending.size + inFlight.length >= maxPending) {
        counters.backpressureWaits++;
        drainLater();
        await new Promise<void>((resolve) => spaceWaiters.push(resolve));
        if (closed) throw new ClosedError('This write-behind queue');
      }
      // Serialize first: a value the journal cannot hold is rejected before anything is queued.
      const line = journal ? journalLine(key, value) : '';
      counters.writes++;
      enqueue(key, value);
      if (journal) {
        await new Promise<void>((resolve) => {
          group.lines.push(line);
          group.acks.push(resolve);
          groupTimer ??= setTimeout(commitGroup, groupCommitMs);
        });
      }
      schedule();
    },
    flush: flushAll,
    stats() {
      return { pending: pending.size, inFlight: inFlight.length, ...counters, flushMs: flushMs.summary() };
    },
    close,
  };
}
