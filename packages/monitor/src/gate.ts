import { InvalidOptionError } from './errors.js';

/** Samples of each metric over several runs (lower is better), as stored by `pilms-perf run`. */
export interface RunFile {
  version: 2;
  metrics: Record<string, number[]>;
}

/** Verdict of one metric. */
export interface MetricComparison {
  metric: string;
  baselineMedian: number;
  currentMedian: number;
  /** Relative change of the median in %, positive = slower. */
  changePercent: number;
  /** 95 % bootstrap confidence interval of `changePercent`. */
  ci: [number, number];
  thresholdPercent: number;
  regression: boolean;
}

/** Options of {@link compareRuns}. */
export interface CompareOptions {
  /** Change in % above which a significant slowdown fails the gate. Default 5. */
  thresholdPercent?: number;
  /** Per-metric overrides of `thresholdPercent`. */
  thresholds?: Record<string, number>;
  /** Bootstrap resamples. Default 2000. */
  resamples?: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

/** Small seeded PRNG (mulberry32) so the same files always give the same verdict. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Reads a run or baseline file. Older files (`{ metrics: { name: number } }`, one value per metric)
 * are accepted as single-sample runs so a baseline written by an earlier version still gates.
 */
export function parseRunFile(json: unknown): RunFile {
  const metrics = (json as { metrics?: unknown } | null)?.metrics;
  if (typeof metrics !== 'object' || metrics === null) {
    throw new InvalidOptionError('run file', 'an object with a `metrics` object', JSON.stringify(json));
  }
  const result: RunFile = { version: 2, metrics: {} };
  for (const [name, value] of Object.entries(metrics)) {
    const samples = (Array.isArray(value) ? value : [value]).filter((v): v is number => Number.isFinite(v));
    if (samples.length > 0) result.metrics[name] = samples;
  }
  return result;
}

/** Merges several runs into one baseline (samples concatenated per metric). */
export function mergeRuns(runs: RunFile[]): RunFile {
  const merged: RunFile = { version: 2, metrics: {} };
  for (const run of runs) {
    for (const [name, samples] of Object.entries(run.metrics)) {
      merged.metrics[name] = [...(merged.metrics[name] ?? []), ...samples];
    }
  }
  return merged;
}

/**
 * Compares medians with a bootstrap 95 % CI of their relative change; a metric regresses only when the
 * whole interval lies above its threshold, so noise alone does not fail CI.
 */
export function compareRuns(baseline: RunFile, current: RunFile, options: CompareOptions = {}): MetricComparison[] {
  const thresholdPercent = options.thresholdPercent ?? 5;
  const resamples = options.resamples ?? 2000;
  if (!(Number.isFinite(thresholdPercent) && thresholdPercent >= 0)) {
    throw new InvalidOptionError('thresholdPercent', 'a finite number >= 0', thresholdPercent);
  }
  if (!(Number.isInteger(resamples) && resamples >= 100)) {
    throw new InvalidOptionError('resamples', 'an integer >= 100', resamples);
  }
  const next = random(42);
  const resample = (values: number[]) => median(values.map(() => values[Math.floor(next() * values.length)] ?? 0));
  const results: MetricComparison[] = [];
  for (const [metric, now] of Object.entries(current.metrics)) {
    const before = baseline.metrics[metric];
    if (!before) continue;
    const baselineMedian = median(before);
    const change = (b: number, c: number) => (b === 0 ? 0 : (100 * (c - b)) / b);
    const changes = Array.from({ length: resamples }, () => change(resample(before), resample(now))).sort(
      (a, b) => a - b,
    );
    const ci: [number, number] = [
      changes[Math.floor(0.025 * resamples)] ?? 0,
      changes[Math.ceil(0.975 * resamples) - 1] ?? 0,
    ];
    const limit = options.thresholds?.[metric] ?? thresholdPercent;
    results.push({
      metric,
      baselineMedian,
      currentMedian: median(now),
      changePercent: change(baselineMedian, median(now)),
      ci,
      thresholdPercent: limit,
      regression: ci[0] > limit,
    });
  }
  return results;
}

/** Renders the comparison as a Markdown table for a CI summary. */
export function markdownTable(results: MetricComparison[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.metric} | ${r.baselineMedian.toPrecision(4)} | ${r.currentMedian.toPrecision(4)} | ${r.changePercent.toFixed(1)} % | [${r.ci[0].toFixed(1)}, ${r.ci[1].toFixed(1)}] % | ${r.thresholdPercent} % | ${r.regression ? 'regression' : 'ok'} |`,
  );
  return [
    '| metric | baseline median | current median | change | 95 % CI | threshold | verdict |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
