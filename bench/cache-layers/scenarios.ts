// Scenario helpers of the cache-layers benchmark that are not single calls timed per iteration.
import { percentile } from '../support/stats.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A getOrSet-style call: key and loader in, value out. */
export type GetOrSet = (key: string, loader: () => Promise<unknown>) => Promise<unknown>;

/**
 * Fires `concurrency` calls at once on one missing key with a `loaderMs` loader and reports how
 * many times the loader ran and the p99 wait of the callers.
 */
export async function stampede(getOrSet: GetOrSet, key: string, concurrency: number, loaderMs: number) {
  let runs = 0;
  const loader = async () => {
    runs++;
    await sleep(loaderMs);
    return { key };
  };
  const waits = await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const started = performance.now();
      await getOrSet(key, loader);
      return performance.now() - started;
    }),
  );
  return { runs, p99Ms: percentile(waits, 99), p50Ms: percentile(waits, 50) };
}

/** Rows per second of `write` for `rows` writes followed by `finish` (which must persist them all). */
export async function rowsPerSecond(rows: number, write: (i: number) => unknown, finish: () => Promise<void> | void) {
  const started = performance.now();
  for (let i = 0; i < rows; i++) {
    const result = write(i);
    if (result instanceof Promise) await result;
  }
  await finish();
  return Math.round(rows / ((performance.now() - started) / 1000));
}
