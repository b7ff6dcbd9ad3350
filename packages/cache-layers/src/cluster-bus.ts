import cluster from 'node:cluster';
import type { BusMessage, CacheBus } from './bus.js';
import { PilmsCacheError } from './errors.js';

const envelope = 'pilmsCacheBus';

interface Envelope {
  [envelope]: BusMessage;
}

function isEnvelope(value: unknown): value is Envelope {
  return typeof value === 'object' && value !== null && envelope in value;
}

/**
 * A {@link CacheBus} over node:cluster IPC, for the workers of one machine without Redis or a
 * shared SQLite file. Call it in each worker; the primary must call {@link relayClusterBus}.
 */
export function createClusterBus(): CacheBus {
  if (!cluster.isWorker || typeof process.send !== 'function') {
    throw new PilmsCacheError(
      'createClusterBus() runs in a node:cluster worker; in the primary call relayClusterBus() instead',
      'PILMS_CACHE_NOT_A_WORKER',
    );
  }
  const send = process.send.bind(process);
  const handlers = new Set<(message: BusMessage) => void>();
  const onMessage = (value: unknown) => {
    if (!isEnvelope(value)) return;
    for (const handler of handlers) handler(value[envelope]);
  };
  process.on('message', onMessage);
  let closed = false;
  return {
    name: 'cluster',
    ready: Promise.resolve(),
    publish(message) {
      return new Promise<void>((resolve, reject) => {
        send({ [envelope]: message } satisfies Envelope, undefined, {}, (error) => (error ? reject(error) : resolve()));
      });
    },
    subscribe(handler) {
      handlers.add(handler);
    },
    async close() {
      if (closed) return;
      closed = true;
      process.removeListener('message', onMessage);
    },
  };
}

/** In the cluster primary: forwards each worker's invalidations to every other worker. Returns a stop function. */
export function relayClusterBus(): () => void {
  const relay = (from: { id: number }, value: unknown) => {
    if (!isEnvelope(value)) return;
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (worker && worker.id !== from.id && worker.isConnected()) worker.send(value);
    }
  };
  cluster.on('message', relay);
  return () => {
    cluster.removeListener('message', relay);
  };
}
