import cluster, { type Worker } from 'node:cluster';

// Requests and answers between the cluster primary and its workers over node:cluster IPC. The `pilmsLms` tag keeps
// them apart from the other messages on the channel (prom-client's aggregator, the cache invalidation bus).
interface Envelope {
  pilmsLms: string;
  id: number;
  reply?: true;
  body?: unknown;
  error?: string;
}

interface Channel {
  send(message: Envelope): unknown;
  on(event: 'message', listener: (message: Envelope) => void): unknown;
  off(event: 'message', listener: (message: Envelope) => void): unknown;
}

const timeoutMs = 5000;
let nextId = 0;

const isRequest = (message: Envelope | undefined, kind: string) => message?.pilmsLms === kind && !message.reply;

function call<T>(channel: Channel, kind: string): Promise<T> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      channel.off('message', onMessage);
      reject(
        new Error(`No answer to \`${kind}\` over cluster IPC within ${timeoutMs} ms; is the other side serving it?`),
      );
    }, timeoutMs);
    function onMessage(message: Envelope): void {
      if (message?.pilmsLms !== kind || message.id !== id || !message.reply) return;
      clearTimeout(timer);
      channel.off('message', onMessage);
      if (message.error === undefined) resolve(message.body as T);
      else reject(new Error(message.error));
    }
    channel.on('message', onMessage);
    channel.send({ pilmsLms: kind, id });
  });
}

function answer(channel: Channel, request: Envelope, produce: () => Promise<unknown>, connected: () => boolean): void {
  const reply = (fields: { body?: unknown; error?: string }) => {
    if (connected()) channel.send({ pilmsLms: request.pilmsLms, id: request.id, reply: true, ...fields });
  };
  produce().then(
    (body) => reply({ body }),
    (error: Error) => reply({ error: error.message }),
  );
}

const primaryChannel = process as unknown as Channel;

/** In a worker: asks the primary for `kind` (served there by {@link answerWorkers}). */
export function askPrimary<T>(kind: string): Promise<T> {
  return call<T>(primaryChannel, kind);
}

/** In the primary: answers every worker's `kind` requests with `produce()`. */
export function answerWorkers(kind: string, produce: () => Promise<unknown>): void {
  cluster.on('message', (worker: Worker, message: Envelope) => {
    if (isRequest(message, kind)) answer(worker as unknown as Channel, message, produce, () => worker.isConnected());
  });
}

/** In the primary: asks every live worker for `kind` (served by {@link answerPrimary}); workers that fail are left out. */
export async function askWorkers<T>(kind: string): Promise<T[]> {
  const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w?.isConnected() === true);
  const answers = await Promise.allSettled(workers.map((worker) => call<T>(worker as unknown as Channel, kind)));
  return answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
}

/** In a worker: answers the primary's `kind` requests with `produce()`. */
export function answerPrimary(kind: string, produce: () => Promise<unknown>): void {
  process.on('message', (message: Envelope) => {
    if (isRequest(message, kind)) answer(primaryChannel, message, produce, () => process.connected === true);
  });
}
