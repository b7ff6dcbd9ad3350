import { Cluster } from 'ioredis';
import { afterAll } from 'vitest';
import { createRedisStore } from '../src/adapters/redis.js';
import { startRedisCluster } from './fixtures/redis-cluster.js';
import { describeStore } from './store-suite.js';

const cluster = await startRedisCluster();
const client = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
afterAll(async () => {
  client.disconnect();
  await cluster.stop();
});

// The same suite as the single-node store: keys spread over three masters' slots.
describeStore('redis cluster', () => createRedisStore({ client, prefix: 'test:cluster:' }));
