import type { SeriesPoint } from './report.js';

/** What the monitor needs from a history store; the `@pilms/monitor/history` SQLite adapter fits. */
export interface HistoryStore {
  record(values: Record<string, number>, at?: number): void;
  query(metric: string, options: { from: number; to: number; resolution: '1s' | '1m' }): SeriesPoint[];
  close?(): Promise<void>;
}

/**
 * Keeps the last `retentionMs` of points in memory, so `report()` and charts work without SQLite.
 * Points are per sample (no minute averages): the retention is meant to be short.
 */
export function createMemoryHistory(retentionMs: number): HistoryStore {
  const series = new Map<string, SeriesPoint[]>();
  return {
    record(values, at = Date.now()) {
      for (const [metric, value] of Object.entries(values)) {
        if (!Number.isFinite(value)) continue;
        const points = series.get(metric) ?? [];
        series.set(metric, points);
        points.push({ t: at, value });
        const expired = points.findIndex((point) => point.t >= at - retentionMs);
        if (expired > 0) points.splice(0, expired);
      }
    },
    query(metric, { from, to }) {
      return (series.get(metric) ?? []).filter((point) => point.t >= from && point.t <= to);
    },
  };
}
