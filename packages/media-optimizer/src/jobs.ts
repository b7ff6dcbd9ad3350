import { randomUUID } from 'node:crypto';
import { defaults } from './defaults.js';
import { InvalidOptionError, JobNotFoundError, MediaCancelledError, PilmsMediaError } from './errors.js';
import type { MediaProgress, ProcessOptions } from './ffmpeg.js';
import { sweepStaleTemp } from './store.js';
import { assertNumber } from './validate.js';

/** Lifecycle of a media job. */
export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** A job as persisted by a {@link JobStore}; payload and result are JSON values. */
export interface JobRecord {
  id: string;
  type: string;
  payload: unknown;
  status: JobStatus;
  attempts: number;
  /** 0-100. */
  progress: number;
  result: unknown;
  error: { code: string; message: string } | null;
  createdAt: number;
  updatedAt: number;
}

/** Fields a queue changes on a job. */
export type JobPatch = Partial<Pick<JobRecord, 'status' | 'progress' | 'result' | 'error'>>;

/**
 * Where jobs persist. `@pilms/media-optimizer/sqlite` provides one on better-sqlite3; the interface
 * keeps the core (and the image API) free of that dependency. Methods are synchronous, like SQLite.
 */
export interface JobStore {
  insert(job: Pick<JobRecord, 'id' | 'type' | 'payload' | 'createdAt'>): void;
  get(id: string): JobRecord | undefined;
  /** Jobs, oldest first, optionally with one status. */
  list(status?: JobStatus): JobRecord[];
  /** Atomically moves the oldest queued job to running, counting the attempt. */
  claimNext(now: number): JobRecord | undefined;
  update(id: string, patch: JobPatch, now: number): void;
  appendLog(id: string, line: string, keep: number): void;
  logs(id: string): string[];
  /** Number of jobs per status (for `stats()`, polled by monitors, so no rows are loaded). */
  counts(): Record<JobStatus, number>;
}

/** What a handler gets besides the payload. */
export interface JobContext {
  id: string;
  /** 1 on the first run, 2 on the first retry or resume after a restart. */
  attempt: number;
  signal: AbortSignal;
  /** Reports progress (a percentage or a ffmpeg progress event). */
  progress(progress: number | MediaProgress): void;
  log(line: string): void;
  /** Spread into `transcodeVideo`/`transcodeAudio` options: nice, CPU pinning, cancellation and logs. */
  process: ProcessOptions;
}

/** Does one kind of job; returns a JSON-serialisable result. */
export type JobHandler<P = unknown> = (payload: P, context: JobContext) => Promise<unknown>;

/** Options of {@link createJobQueue}. */
export interface JobQueueOptions {
  /** Persistence, e.g. `createSqliteJobStore({ path })`. Required. The queue never closes it. */
  store: JobStore;
  /** Handlers by job type. Required. */
  handlers: Record<string, JobHandler<never>>;
  /** Jobs run at once. Default 1. */
  concurrency?: number;
  /** `nice` level for ffmpeg children. Default 10. */
  nice?: number;
  /** CPUs for `taskset -c`, e.g. `'0-3'` (RK3588 A55 efficiency cores). Default: not pinned. */
  cpus?: string;
  /** Runs per job, counting resumes after a crash. Default 2. */
  maxAttempts?: number;
  /** Log lines kept per job. Default 200. */
  maxLogLines?: number;
  /** Output directories whose temp files left by a crashed process are removed at start. Default `[]`. */
  sweepDirs?: readonly string[];
}

/** Events a queue emits. */
export interface JobEvents {
  progress: (id: string, percent: number, detail: MediaProgress | undefined) => void;
  settled: (job: JobRecord) => void;
}

/** Counters of a queue, for `@pilms/monitor`. */
export interface JobQueueStats {
  queued: number;
  running: number;
  done: number;
  failed: number;
  cancelled: number;
  /** Jobs put back in the queue or failed at start because a previous process died mid-job. */
  recovered: { resumed: number; failed: number };
  runMs: { p50: number; p95: number; p99: number };
}

/** A persisted media job queue. */
export interface JobQueue {
  /** Adds a job and returns its id; it runs in the background. */
  add(type: string, payload: unknown): string;
  get(id: string): JobRecord;
  list(status?: JobStatus): JobRecord[];
  logs(id: string): string[];
  /** Cancels a queued or running job (the ffmpeg child is killed, temp outputs removed). */
  cancel(id: string): void;
  on<E extends keyof JobEvents>(event: E, listener: JobEvents[E]): () => void;
  /** Resolves when nothing is queued or running. */
  idle(): Promise<void>;
  stats(): JobQueueStats;
  /** Stops taking jobs and interrupts running ones, which resume at the next start. Idempotent. */
  close(): Promise<void>;
}

class JobInterruptedError extends PilmsMediaError {
  constructor(attempts: number) {
    super(
      `The process running this job stopped ${attempts} time(s); giving up. Check the input and the board's memory, then add the job again.`,
      'PILMS_MEDIA_JOB_INTERRUPTED',
    );
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/**
 * Runs media work in the background, one job at a time by default, with ffmpeg niced (and pinned
 * when asked). Jobs persist in the store: after a crash, interrupted jobs resume until `maxAttempts`
 * and then fail cleanly; temp outputs of the dead process are swept.
 */
export async function createJobQueue(options: JobQueueOptions): Promise<JobQueue> {
  const { store, handlers } = options;
  const j = defaults.jobs;
  const concurrency = options.concurrency ?? j.concurrency;
  const nice = options.nice ?? j.nice;
  const maxAttempts = options.maxAttempts ?? j.maxAttempts;
  const maxLogLines = options.maxLogLines ?? j.maxLogLines;
  assertNumber('concurrency', concurrency, 1, true);
  assertNumber('nice', nice, 0, true);
  assertNumber('maxAttempts', maxAttempts, 1, true);
  assertNumber('maxLogLines', maxLogLines, 0, true);
  if (options.cpus !== undefined && !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(options.cpus)) {
    throw new InvalidOptionError('cpus', "a CPU list for taskset such as '0-3' or '4,5'", options.cpus);
  }
  if (typeof store?.claimNext !== 'function') throw new InvalidOptionError('store', 'a JobStore', store);

  const listeners = { progress: new Set<JobEvents['progress']>(), settled: new Set<JobEvents['settled']>() };
  const running = new Map<string, AbortController>();
  const runTimes: number[] = [];
  const recovered = { resumed: 0, failed: 0 };
  let closed = false;
  let idleWaiters: (() => void)[] = [];

  for (const job of store.list('running')) {
    const now = Date.now();
    if (job.attempts < maxAttempts) {
      store.update(job.id, { status: 'queued', progress: 0 }, now);
      store.appendLog(job.id, `resumed after the previous process stopped (attempt ${job.attempts})`, maxLogLines);
      recovered.resumed += 1;
    } else {
      const error = new JobInterruptedError(job.attempts);
      store.update(job.id, { status: 'failed', error: { code: error.code, message: error.message } }, now);
      recovered.failed += 1;
    }
  }
  for (const dir of options.sweepDirs ?? []) await sweepStaleTemp(dir);

  const settle = (id: string, patch: JobPatch) => {
    store.update(id, patch, Date.now());
    const job = store.get(id);
    if (job) for (const listener of listeners.settled) listener(job);
  };

  const run = async (job: JobRecord) => {
    const controller = new AbortController();
    running.set(job.id, controller);
    const started = performance.now();
    let lastSaved = -1;
    const log = (line: string) => store.appendLog(job.id, line, maxLogLines);
    const progress = (value: number | MediaProgress) => {
      const detail = typeof value === 'number' ? undefined : value;
      const percent = Math.max(0, Math.min(100, typeof value === 'number' ? value : value.percent));
      // Persist whole-percent steps only: progress arrives twice a second and SD cards wear.
      if (Math.floor(percent) !== lastSaved) {
        lastSaved = Math.floor(percent);
        store.update(job.id, { progress: lastSaved }, Date.now());
      }
      for (const listener of listeners.progress) listener(job.id, percent, detail);
    };
    const processOptions: ProcessOptions = { nice, signal: controller.signal, onLog: log };
    if (options.cpus !== undefined) processOptions.cpus = options.cpus;
    try {
      const handler = handlers[job.type];
      if (!handler) throw new InvalidOptionError('type', `one of ${Object.keys(handlers).join(', ')}`, job.type);
      const context = {
        id: job.id,
        attempt: job.attempts,
        signal: controller.signal,
        progress,
        log,
        process: processOptions,
      };
      const result = await (handler as JobHandler)(job.payload, context);
      runTimes.push(performance.now() - started);
      settle(job.id, { status: 'done', progress: 100, result: result ?? null, error: null });
    } catch (error) {
      const err = PilmsMediaError.isInstance(error) ? error : (error as Error);
      const code = PilmsMediaError.isInstance(err) ? err.code : 'PILMS_MEDIA_JOB_FAILED';
      log(`error: ${err.message}`);
      if (closed) store.update(job.id, { status: 'queued', progress: 0 }, Date.now());
      else if (error instanceof MediaCancelledError)
        settle(job.id, { status: 'cancelled', error: { code, message: err.message } });
      else settle(job.id, { status: 'failed', error: { code, message: err.message } });
    } finally {
      running.delete(job.id);
      pump();
    }
  };

  const pump = () => {
    while (!closed && running.size < concurrency) {
      const job = store.claimNext(Date.now());
      if (!job) break;
      void run(job);
    }
    if (running.size === 0 && (closed || store.list('queued').length === 0)) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };

  const get = (id: string) => {
    const job = store.get(id);
    if (!job) throw new JobNotFoundError(id);
    return job;
  };

  const queue: JobQueue = {
    add(type, payload) {
      if (!handlers[type]) throw new InvalidOptionError('type', `one of ${Object.keys(handlers).join(', ')}`, type);
      const id = randomUUID();
      store.insert({ id, type, payload, createdAt: Date.now() });
      queueMicrotask(pump);
      return id;
    },
    get,
    list: (status) => store.list(status),
    logs(id) {
      get(id);
      return store.logs(id);
    },
    cancel(id) {
      const job = get(id);
      if (job.status === 'queued') settle(id, { status: 'cancelled' });
      else running.get(id)?.abort();
    },
    on(event, listener) {
      const set = listeners[event] as Set<typeof listener>;
      set.add(listener);
      return () => set.delete(listener);
    },
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        pump();
      }),
    stats() {
      const counts = store.counts();
      const sorted = [...runTimes].sort((a, b) => a - b);
      return {
        queued: counts.queued,
        running: running.size,
        done: counts.done,
        failed: counts.failed,
        cancelled: counts.cancelled,
        recovered: { ...recovered },
        runMs: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      const stopping = [...running.values()];
      for (const controller of stopping) controller.abort();
      if (running.size > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
  };
  queueMicrotask(pump);
  return queue;
}
