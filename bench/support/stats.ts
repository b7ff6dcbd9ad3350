/** Percentile (0-100) of a list of numbers by linear interpolation; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

/** Median of a list of numbers. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Times `iterations` sequential calls of `fn` (awaiting promises) and returns nanoseconds per call. */
export async function timePerCall(fn: () => unknown, iterations: number): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    const result = fn();
    if (result instanceof Promise) await result;
  }
  return Number(process.hrtime.bigint() - start) / iterations;
}

/**
 * Runs each contender `rounds` times in alternation (after one warm-up round each) and
 * returns the median ns per call for each, so machine noise hits all contenders alike.
 */
export async function compareSideBySide(
  contenders: Record<string, () => unknown>,
  { iterations, rounds = 5 }: { iterations: number; rounds?: number },
): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = {};
  for (const [name, fn] of Object.entries(contenders)) {
    await timePerCall(fn, Math.max(1, Math.floor(iterations / 10)));
    samples[name] = [];
  }
  for (let round = 0; round < rounds; round++) {
    for (const [name, fn] of Object.entries(contenders)) samples[name]!.push(await timePerCall(fn, iterations));
  }
  return Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]));
}
