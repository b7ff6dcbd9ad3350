import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Params } from '../bind.js';
import { PilmsSqliteError } from '../errors.js';
import { type Percentiles, SampleRing } from '../latency.js';
import { assertNumber } from '../validate.js';
import type { ReaderRequest, ReaderResponse, ReaderWorkerData } from './reader-pool-worker.js';

/** Options of `createReaderPool()`. */
export interface ReaderPoolOptions {
  /** Worker threads, each with one read-only connection. Default 2. */
  size?: number;
  /** Pragmas run on each reader connection. Default `['cache_size = -16000', 'mmap_size = 268435456', 'temp_store = MEMORY']`. */
  pragmas?: string[];
  /** Native busy timeout of the readers; it only blocks the worker thread. Default 5000 ms. */
  busyTimeoutMs?: number;
}

/** `stats()` of a reader pool. */
export interface ReaderPoolStats {
  size: number;
  inFlight: number;
  completed: number;
  failed: number;
  /** Workers replaced after they crashed. */
  restarts: number;
  latencyMs: Percentiles;
}

/** Read-only connections on worker threads, for heavy queries that must not stall the main event loop. */
export interface ReaderPool {
  all<T = unknown>(sql: string, params?: Params): Promise<T[]>;
  get<T = unknown>(sql: string, params?: Params): Promise<T | undefined>;
  stats(): ReaderPoolStats;
  /** Rejects queued queries with `ReaderPoolClosedError` and stops the workers; idempotent. */
  close(): Promise<void>;
}

/** A query failed on a reader; `sqliteCode` is SQLite's (code `PILMS_SQLITE_READER_QUERY`). */
export class ReaderQueryError extends PilmsSqliteError {
  constructor(
    readonly sql: string,
    readonly sqliteCode: string | undefined,
    detail: string,
  ) {
    super(`Reader query failed (${detail}): ${sql}. Fix the SQL or its parameters.`, 'PILMS_SQLITE_READER_QUERY');
  }
}

/** The pool was closed or its worker died before answering (code `PILMS_SQLITE_READER_POOL_CLOSED`). */
export class ReaderPoolClosedError extends PilmsSqliteError {
  constructor(
    readonly sql: string,
    why: string,
  ) {
    super(`Reader pool ${why} before answering: ${sql}. Retry on a new pool.`, 'PILMS_SQLITE_READER_POOL_CLOSED');
  }
}

const poolDefaults = {
  size: 2,
  pragmas: ['cache_size = -16000', 'mmap_size = 268435456', 'temp_store = MEMORY'],
  busyTimeoutMs: 5000,
};

/**
 * How to start the worker entry beside this module: the `.js`/`.cjs` sibling when built; when running
 * from TypeScript source (vitest, tsx) a small bootstrap registers tsx's loader inside the worker first,
 * because Node 20 does not apply `--import tsx` from `execArgv` to a worker's entry module.
 */
function workerEntry(): { source: string | URL; eval: boolean } {
  // The CJS build has no import.meta.url; there __filename names this module instead.
  const here = typeof __filename === 'string' ? pathToFileURL(__filename).href : import.meta.url;
  const extension = /\.(c?js|ts)$/.exec(here)?.[1] ?? 'js';
  const url = new URL(`./reader-pool-worker.${extension}`, here);
  if (extension !== 'ts') return { source: url, eval: false };
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`;
  return { source: bootstrap, eval: true };
}

interface Pending {
  sql: string;
  started: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Set once the worker answered; a worker that dies before that (bad path) is not respawned in a loop. */
  answered: boolean;
}

const latencySamples = 512;

/** Starts `size` worker threads with read-only connections to the SQLite file at `path`. */
export function createReaderPool(path: string, options: ReaderPoolOptions = {}): ReaderPool {
  const size = options.size ?? poolDefaults.size;
  assertNumber('size', size, 1, true);
  const data: ReaderWorkerData = {
    path,
    pragmas: options.pragmas ?? poolDefaults.pragmas,
    busyTimeoutMs: options.busyTimeoutMs ?? poolDefaults.busyTimeoutMs,
  };
  const entry = workerEntry();
  const counts = { completed: 0, failed: 0, restarts: 0 };
  const latencies = new SampleRing(latencySamples);
  let nextId = 0;
  let closed = false;

  const spawn = (): Slot => {
    const worker = new Worker(entry.source, { workerData: data, eval: entry.eval });
    const slot: Slot = { worker, pending: new Map(), answered: false };
    worker.on('message', (response: ReaderResponse) => {
      const pending = slot.pending.get(response.id);
      slot.answered = true;
      if (!pending) return;
      slot.pending.delete(response.id);
      latencies.add(performance.now() - pending.started);
      if (response.ok) {
        counts.completed++;
        pending.resolve(response.value);
      } else {
        counts.failed++;
        pending.reject(new ReaderQueryError(pending.sql, response.code, response.message));
      }
    });
    // A worker that dies (bad file, native crash) fails only its own queries and is replaced.
    const fail = (why: string) => {
      for (const pending of slot.pending.values()) pending.reject(new ReaderPoolClosedError(pending.sql, why));
      counts.failed += slot.pending.size;
      slot.pending.clear();
      const index = slots.indexOf(slot);
      if (closed || index === -1) return;
      if (slot.answered) {
        counts.restarts++;
        slots[index] = spawn();
      } else {
        slots.splice(index, 1);
      }
    };
    // Errors cloned from a worker can arrive without a message (e.g. better-sqlite3's SqliteError).
    worker.on('error', (error: Partial<Error> & { code?: string }) =>
      fail(`worker failed (${error.message ?? error.code ?? 'no message'})`),
    );
    worker.on('exit', () => fail('worker exited'));
    return slot;
  };
  const slots: Slot[] = Array.from({ length: size }, spawn);

  const query = (method: ReaderRequest['method'], sql: string, params: ReaderRequest['params']): Promise<unknown> => {
    if (closed) return Promise.reject(new ReaderPoolClosedError(sql, 'was closed'));
    if (slots.length === 0) return Promise.reject(new ReaderPoolClosedError(sql, 'has no live worker'));
    const slot = slots.reduce((least, candidate) => (candidate.pending.size < least.pending.size ? candidate : least));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { sql, started: performance.now(), resolve, reject });
      slot.worker.postMessage({ id, method, sql, params } satisfies ReaderRequest);
    });
  };

  return {
    all: (sql, params) => query('all', sql, params) as Promise<never[]>,
    get: (sql, params) => query('get', sql, params) as Promise<never>,
    stats() {
      return {
        size: slots.length,
        inFlight: slots.reduce((sum, slot) => sum + slot.pending.size, 0),
        ...counts,
        latencyMs: latencies.percentiles(),
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
    },
  };
}
