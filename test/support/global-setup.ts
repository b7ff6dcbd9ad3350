import type { TestProject } from 'vitest/node';
import { type RedisServer, startRedis } from './redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the redis-server shared by the whole test run. */
    redisUrl: string;
  }
}

let redis: RedisServer | undefined;

/** Starts one private redis-server for the run; tests that kill Redis start their own with `startRedis()`. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  redis = await startRedis();
  project.provide('redisUrl', redis.url);
  return async () => {
    await redis?.stop();
  };
}
