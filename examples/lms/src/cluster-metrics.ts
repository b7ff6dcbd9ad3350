import cluster from 'node:cluster';
import { createClusterAggregator } from '@pilms/monitor/cluster';

// prom-client's aggregator lives in the primary, but /metrics is answered by whichever worker gets the request;
// these two messages carry the request to the primary and the aggregated text back.
const requestKind = 'pilms-lms:metrics';
const replyKind = 'pilms-lms:metrics-reply';
const metricsTimeoutMs = 5000;

let nextRequest = 0;

/** In a worker: asks the primary for the metrics of every worker (see {@link serveClusterMetrics}). */
export function askPrimary(): Promise<string> {
  const id = nextRequest++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error('The cluster primary did not answer the metrics request; is serveClusterMetrics() running?'));
    }, metricsTimeoutMs);
    const onMessage = (message: { kind?: string; id?: number; text?: string; error?: string }) => {
      if (message?.kind !== replyKind || message.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      if (message.error === undefined) resolve(message.text ?? '');
      else reject(new Error(message.error));
    };
    process.on('message', onMessage);
    process.send?.({ kind: requestKind, id });
  });
}

/** In the cluster primary: answers workers' `/metrics` requests with every worker's metrics aggregated. */
export async function serveClusterMetrics(): Promise<void> {
  const aggregator = await createClusterAggregator();
  cluster.on('message', (worker, message: { kind?: string; id?: number }) => {
    if (message?.kind !== requestKind) return;
    aggregator.metrics().then(
      (text) => worker.isConnected() && worker.send({ kind: replyKind, id: message.id, text }),
      (error: Error) => worker.isConnected() && worker.send({ kind: replyKind, id: message.id, error: error.message }),
    );
  });
}
