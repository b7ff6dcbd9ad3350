import cluster, { type Worker } from 'node:cluster';
import { PilmsAiQueueError } from '../errors.js';
import { validateLimiterOptions } from '../limiter-options.js';
import { type AcquireOptions, LocalSemaphore, type SlotLease, type SlotLimiter } from '../slot-limiter.js';

/** The primary went away (or never answered) while this worker waited for or held a slot. */
export class PrimaryUnavailableError extends PilmsAiQueueError {
  constructor() {
    super(
      'The cluster primary holding the AI slot limiter is gone; restart the app, or use `@pilms/ai-queue/redis`',
      'ERR_AI_QUEUE_PRIMARY_UNAVAILABLE',
    );
  }
}

/** Options of {@link createClusterLimiter}. */
export interface ClusterLimiterOptions {
  /** Model calls allowed at once across the primary and all workers; the primary's value rules. Default 1. */
  slots?: number;
  /** IPC message tag, so several limiters (or other IPC users) can share the channel; default `pilms:ai-queue`. */
  channel?: string;
}

/** Defaults of {@link createClusterLimiter}. */
export const clusterLimiterDefaults = { slots: 1, channel: 'pilms:ai-queue' } as const;

type Request =
  | { channel: string; op: 'acquire'; id: number; priority: number }
  | { channel: string; op: 'release' | 'cancel'; id: number };
type Reply = { channel: string; op: 'granted'; id: number };

/** `stats()` of the cluster limiter: the semaphore's counters in the primary, this worker's view in a worker. */
export interface ClusterLimiterStats {
  role: 'primary' | 'worker';
  slots: number;
  held: number;
  waiting: number;
  granted: number;
}

/** The limiter returned by {@link createClusterLimiter}. */
export interface ClusterLimiter extends SlotLimiter {
  stats(): ClusterLimiterStats;
}

function isMessage<T extends { channel: string }>(value: unknown, channel: string): value is T {
  return typeof value === 'object' && value !== null && (value as { channel?: unknown }).channel === channel;
}

/**
 * A global slot limiter for a node:cluster app without Redis: the semaphore lives in the primary and workers ask it
 * over IPC. Call it in the primary (before forking) and in every worker. A worker that dies gives back its slots.
 */
export function createClusterLimiter(options: ClusterLimiterOptions = {}): ClusterLimiter {
  const settings = { ...clusterLimiterDefaults, ...options };
  validateLimiterOptions({ slots: settings.slots });
  return cluster.isPrimary ? primaryLimiter(settings) : workerLimiter(settings);
}

function primaryLimiter(settings: { slots: number; channel: string }): ClusterLimiter {
  const semaphore = new LocalSemaphore(settings.slots);
  // Per worker: leases it holds and acquisitions it still waits for, so its exit frees both.
  const leases = new Map<Worker, Map<number, SlotLease>>();
  const waits = new Map<Worker, Map<number, AbortController>>();
  const entry = <V>(map: Map<Worker, Map<number, V>>, worker: Worker) => {
    let inner = map.get(worker);
    if (!inner) {
      inner = new Map();
      map.set(worker, inner);
    }
    return inner;
  };

  const onMessage = (worker: Worker, message: unknown) => {
    if (!isMessage<Request>(message, settings.channel)) return;
    if (message.op === 'acquire') {
      const controller = new AbortController();
      entry(waits, worker).set(message.id, controller);
      semaphore.acquire({ signal: controller.signal, priority: message.priority }).then(
        (lease) => {
          entry(waits, worker).delete(message.id);
          // IPC can deliver acquire, cancel and release in one tick, before this callback: then give it back.
          if (controller.signal.aborted || !worker.isConnected()) {
            void lease.release();
            return;
          }
          entry(leases, worker).set(message.id, lease);
          const reply: Reply = { channel: settings.channel, op: 'granted', id: message.id };
          worker.send(reply);
        },
        () => entry(waits, worker).delete(message.id),
      );
      return;
    }
    waits.get(worker)?.get(message.id)?.abort();
    if (message.op === 'release') {
      const lease = leases.get(worker)?.get(message.id);
      leases.get(worker)?.delete(message.id);
      void lease?.release();
    }
  };
  const onExit = (worker: Worker) => {
    for (const controller of waits.get(worker)?.values() ?? []) controller.abort();
    for (const lease of leases.get(worker)?.values() ?? []) void lease.release();
    waits.delete(worker);
    leases.delete(worker);
  };
  cluster.on('message', onMessage);
  cluster.on('exit', onExit);

  return {
    acquire: (acquireOptions) => semaphore.acquire(acquireOptions),
    stats: () => ({ role: 'primary', ...semaphore.stats() }),
    async close() {
      cluster.off('message', onMessage);
      cluster.off('exit', onExit);
    },
  };
}

function workerLimiter({ slots, channel }: { slots: number; channel: string }): ClusterLimiter {
  const pending = new Map<number, { resolve(): void; reject(error: unknown): void }>();
  let nextId = 0;
  let held = 0;
  let granted = 0;
  const send = (message: Request) => {
    if (!process.connected || !process.send) throw new PrimaryUnavailableError();
    process.send(message);
  };
  const onMessage = (message: unknown) => {
    if (!isMessage<Reply>(message, channel)) return;
    pending.get(message.id)?.resolve();
  };
  const onDisconnect = () => {
    for (const waiter of pending.values()) waiter.reject(new PrimaryUnavailableError());
    pending.clear();
  };
  process.on('message', onMessage);
  process.on('disconnect', onDisconnect);

  return {
    acquire(acquireOptions: AcquireOptions = {}) {
      const { signal } = acquireOptions;
      if (signal?.aborted) return Promise.reject(signal.reason);
      const id = nextId++;
      return new Promise<SlotLease>((resolve, reject) => {
        const onAbort = () => {
          pending.delete(id);
          // The primary may already have granted it; `cancel` then finds no waiter, so also release to be safe.
          send({ channel, op: 'cancel', id });
          send({ channel, op: 'release', id });
          reject(signal?.reason);
        };
        pending.set(id, {
          resolve: () => {
            pending.delete(id);
            signal?.removeEventListener('abort', onAbort);
            held++;
            granted++;
            let released = false;
            resolve({
              release: async () => {
                if (released) return;
                released = true;
                held--;
                if (process.connected) send({ channel, op: 'release', id });
              },
            });
          },
          reject: (error) => {
            signal?.removeEventListener('abort', onAbort);
            reject(error);
          },
        });
        signal?.addEventListener('abort', onAbort, { once: true });
        send({ channel, op: 'acquire', id, priority: acquireOptions.priority ?? 0 });
      });
    },
    stats: () => ({ role: 'worker', slots, held, waiting: pending.size, granted }),
    async close() {
      process.off('message', onMessage);
      process.off('disconnect', onDisconnect);
    },
  };
}
