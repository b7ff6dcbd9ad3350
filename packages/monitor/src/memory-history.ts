import type { SeriesPoint } from './report.js';

/** What the monitor needs from a history store; the `@pilms/monitor/history` SQLite adapter fits. */
export interface HistoryStore {
  record(values: Record<string, number>, at?: number): void;
  query(metric: string, options: { from: number; to: number; resolution: '1s' | '1m' }): SeriesPoint[];
  close?(): Promise<void>;
}

/** Fixed-size ring of (time, value) pairs in typed arrays: 57 KB per series at 3600 points, no garbage. */
class Ring {
  private readonly times: Float64Array;
  private readonly values: Float64Array;
  private next = 0;
  private size = 0;
  constructor(capacity: number) {
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
  }
  push(t: number, value: number): void {
    this.times[this.next] = t;
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.times.length;
    this.size = Math.min(this.size + 1, this.times.length);
  }
  between(from: number, to: number): SeriesPoint[] {
    const points: SeriesPoint[] = [];
    const capacity = this.times.length;
    for (let i = 0; i < this.size; i++) {
      const index = (this.next - this.size + i + capacity) % capacity;
      const t = this.times[index] ?? 0;
      if (t >= from && t <= to) points.push({ t, value: this.values[index] ?? 0 });
    }
    return points;
  }
}

/**
 * Keeps the last `points` samples of every series in memory (1 h at one sample a second), so `report()`
 * and charts work without SQLite. No minute averages: a query at `'1m'` returns the same raw points.
 */
export function createMemoryHistory(points: number): HistoryStore {
  const series = new Map<string, Ring>();
  return {
    record(values, at = Date.now()) {
      for (const [metric, value] of Object.entries(values)) {
        if (!Number.isFinite(value)) continue;
        let ring = series.get(metric);
        if (!ring) {
          ring = new Ring(points);
          series.set(metric, ring);
        }
        ring.push(at, value);
      }
    },
    query(metric, { from, to }) {
      return series.get(metric)?.between(from, to) ?? [];
    },
  };
}
