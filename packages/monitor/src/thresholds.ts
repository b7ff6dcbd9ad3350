import { defaultThresholds } from './defaults.js';
import { InvalidOptionError } from './errors.js';

/** A metric with default thresholds (the keys of `defaultThresholds`). */
export type ThresholdMetric = keyof typeof defaultThresholds;
/** A watched metric: one of the defaults, or a custom name given levels in `thresholds`. */
export type WatchedMetric = ThresholdMetric | (string & {});
/** Alert level of one metric. */
export type AlertLevel = 'ok' | 'warning' | 'critical';

/** Warning and critical levels of one metric. */
export interface ThresholdLevels {
  warning: number;
  critical: number;
}

/** Emitted when a metric changes level. */
export interface AlertEvent {
  metric: WatchedMetric;
  level: AlertLevel;
  previous: AlertLevel;
  value: number;
  threshold?: number;
  at: number;
}

/** Options of {@link createThresholdWatcher}. */
export interface ThresholdWatcherOptions {
  /** Per-metric overrides of `defaultThresholds`, and levels of custom metrics. */
  thresholds?: Partial<Record<WatchedMetric, ThresholdLevels>>;
  /** A level is left only once the value is this fraction below it (0.05 = 5 %). Default `0.05`. */
  hysteresis?: number;
  /** A new level must hold this long before it is reported, in ms. Default `30000`. */
  minDurationMs?: number;
  /** Called for every level change. */
  onAlert?: (event: AlertEvent) => void;
  /** POSTs each event as JSON to this URL; failures go to `onWebhookError` and never throw. */
  webhookUrl?: string;
  /** Receives webhook failures. Default: `process.emitWarning`. */
  onWebhookError?: (error: unknown) => void;
}

/** Watches metric values against thresholds with hysteresis and minimum duration. */
export interface ThresholdWatcher {
  /** Checks a set of values measured at `at` (default now); returns the level changes. */
  check(values: Partial<Record<WatchedMetric, number | undefined>>, at?: number): AlertEvent[];
  /** Current level of every metric seen. */
  stats(): Partial<Record<WatchedMetric, AlertLevel>>;
}

const rank: Record<AlertLevel, number> = { ok: 0, warning: 1, critical: 2 };

function rawLevel(value: number, levels: ThresholdLevels, current: AlertLevel, hysteresis: number): AlertLevel {
  // Staying at a level needs only value >= threshold * (1 - hysteresis); entering one needs the full threshold.
  const reach = (level: 'warning' | 'critical') =>
    value >= levels[level] * (rank[current] >= rank[level] ? 1 - hysteresis : 1);
  if (reach('critical')) return 'critical';
  return reach('warning') ? 'warning' : 'ok';
}

/** Creates a threshold watcher with the seed's defaults. */
export function createThresholdWatcher(options: ThresholdWatcherOptions = {}): ThresholdWatcher {
  const hysteresis = options.hysteresis ?? 0.05;
  const minDurationMs = options.minDurationMs ?? 30_000;
  if (!(hysteresis >= 0 && hysteresis < 1))
    throw new InvalidOptionError('hysteresis', 'a number in [0, 1)', hysteresis);
  if (!(Number.isFinite(minDurationMs) && minDurationMs >= 0)) {
    throw new InvalidOptionError('minDurationMs', 'a finite number >= 0', minDurationMs);
  }
  const thresholds: Partial<Record<WatchedMetric, ThresholdLevels>> = { ...defaultThresholds, ...options.thresholds };
  for (const [metric, levels] of Object.entries(thresholds)) {
    if (!levels || !(levels.warning <= levels.critical)) {
      throw new InvalidOptionError(
        `thresholds.${metric}`,
        'warning <= critical',
        levels ? `${levels.warning} > ${levels.critical}` : levels,
      );
    }
  }
  const state = new Map<WatchedMetric, { level: AlertLevel; pending?: { level: AlertLevel; since: number } }>();
  const notify = (event: AlertEvent) => {
    options.onAlert?.(event);
    if (options.webhookUrl === undefined) return;
    fetch(options.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
    })
      .then((response) => {
        if (!response.ok) throw new Error(`Webhook answered HTTP ${response.status}`);
      })
      .catch((error: unknown) => (options.onWebhookError ?? ((e) => process.emitWarning(String(e))))(error));
  };
  return {
    check(values, at = Date.now()) {
      const events: AlertEvent[] = [];
      for (const [metric, value] of Object.entries(values)) {
        const levels = thresholds[metric];
        if (!levels || value === undefined || !Number.isFinite(value)) continue;
        const entry = state.get(metric) ?? { level: 'ok' };
        state.set(metric, entry);
        const level = rawLevel(value, levels, entry.level, hysteresis);
        if (level === entry.level) {
          delete entry.pending;
          continue;
        }
        if (entry.pending?.level !== level) entry.pending = { level, since: at };
        if (at - entry.pending.since < minDurationMs) continue;
        const event: AlertEvent = { metric, level, previous: entry.level, value, at };
        if (level !== 'ok') event.threshold = levels[level];
        entry.level = level;
        delete entry.pending;
        events.push(event);
        notify(event);
      }
      return events;
    },
    stats() {
      return Object.fromEntries([...state].map(([metric, entry]) => [metric, entry.level]));
    },
  };
}
