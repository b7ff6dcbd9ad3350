/** Keeps the last `capacity` samples and reports p50/p95/p99 of them. */
export class Percentiles {
  private readonly samples: number[] = [];
  private next = 0;

  constructor(private readonly capacity = 1024) {}

  add(value: number): void {
    if (this.samples.length < this.capacity) this.samples.push(value);
    else this.samples[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
  }

  summary(): { p50: number; p95: number; p99: number } {
    const sorted = [...this.samples].sort((a, b) => a - b);
    const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
  }
}
