/** A bounded window of latency samples summarised as `{ p50, p95, p99 }` in ms. */
export function createLatencyWindow(size = 512) {
  const samples: number[] = [];
  let next = 0;
  const at = (sorted: number[], p: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  return {
    add(ms: number): void {
      if (samples.length < size) samples.push(ms);
      else samples[next] = ms;
      next = (next + 1) % size;
    },
    summary(): { p50: number; p95: number; p99: number } {
      const sorted = [...samples].sort((a, b) => a - b);
      return { p50: at(sorted, 50), p95: at(sorted, 95), p99: at(sorted, 99) };
    },
  };
}
