import { type EventLoopUtilization, monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';
import { defaults } from './defaults.js';
import { InvalidOptionError } from './errors.js';
import type { Percentiles } from './percentiles.js';

/** Options of {@link createProcessMonitor}. */
export interface ProcessMonitorOptions {
  /** Sampling resolution of `monitorEventLoopDelay`, in ms. Default `10`. */
  eventLoopResolutionMs?: number;
}

/** Process metrics over the window since the previous `sample()`. */
export interface ProcessSnapshot {
  /** Event-loop delay in ms over the window. */
  eventLoopDelay: Percentiles & { max: number; mean: number };
  /** Event-loop utilisation (0..1) over the window. */
  eventLoopUtilization: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  rssBytes: number;
  externalBytes: number;
  /** Garbage-collection pauses observed during the window. */
  gc: { count: number; totalMs: number; maxMs: number };
  /** Active libuv resources (handles and requests). */
  activeResources: number;
}

/** Watches this Node process; call `close()` to stop the observers. */
export interface ProcessMonitor {
  sample(): ProcessSnapshot;
  close(): Promise<void>;
}

const nsToMs = (ns: number): number => (Number.isFinite(ns) ? ns / 1e6 : 0);

/** Creates a process monitor; each `sample()` reports the window since the last one and starts a new window. */
export function createProcessMonitor(options: ProcessMonitorOptions = {}): ProcessMonitor {
  const resolution = options.eventLoopResolutionMs ?? defaults.eventLoopResolutionMs;
  if (!Number.isInteger(resolution) || resolution < 1) {
    throw new InvalidOptionError('eventLoopResolutionMs', 'an integer >= 1', resolution);
  }
  const histogram = monitorEventLoopDelay({ resolution });
  histogram.enable();
  let elu: EventLoopUtilization = performance.eventLoopUtilization();
  let gc = { count: 0, totalMs: 0, maxMs: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.count++;
      gc.totalMs += entry.duration;
      gc.maxMs = Math.max(gc.maxMs, entry.duration);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  let closed = false;
  return {
    sample() {
      const memory = process.memoryUsage();
      const window = performance.eventLoopUtilization(elu);
      elu = performance.eventLoopUtilization();
      const snapshot: ProcessSnapshot = {
        eventLoopDelay: {
          p50: nsToMs(histogram.percentile(50)),
          p95: nsToMs(histogram.percentile(95)),
          p99: nsToMs(histogram.percentile(99)),
          max: nsToMs(histogram.max),
          mean: nsToMs(histogram.mean),
        },
        eventLoopUtilization: window.utilization,
        heapUsedBytes: memory.heapUsed,
        heapTotalBytes: memory.heapTotal,
        rssBytes: memory.rss,
        externalBytes: memory.external,
        gc,
        activeResources: process.getActiveResourcesInfo().length,
      };
      histogram.reset();
      gc = { count: 0, totalMs: 0, maxMs: 0 };
      return snapshot;
    },
    async close() {
      if (closed) return;
      closed = true;
      histogram.disable();
      observer.disconnect();
    },
  };
}
