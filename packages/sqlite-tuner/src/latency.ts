/** Latency percentiles in milliseconds. */
export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** A fixed-size ring of recent samples, so percentiles reflect recent traffic in bounded memory. */
export class SampleRing {
  private readonly samples: Float64Array;
  private next = 0;
  private filled = 0;
  count = 0;

  constructor(size: number) {
    this.samples = new Float64Array(size);
  }

  add(value: number): void {
    this.samples[this.next] = value;
    this.next = (this.next + 1) % this.samples.length;
    this.filled = Math.min(this.filled + 1, this.samples.length);
    this.count++;
  }

  percentiles(): Percentiles {
    const sorted = this.samples.slice(0, this.filled).sort();
    const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
  }

  max(): number {
    return round(this.filled === 0 ? 0 : Math.max(...this.samples.subarray(0, this.filled)));
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
