import { afterEach, describe, expect, it } from 'vitest';
import { createProcessMonitor, InvalidOptionError, type ProcessMonitor } from '../src/index.js';

let monitor: ProcessMonitor | undefined;
afterEach(async () => monitor?.close());

describe('createProcessMonitor', () => {
  it('reports event-loop delay, utilisation, memory and handles for the window', async () => {
    monitor = createProcessMonitor({ eventLoopResolutionMs: 1 });
    const until = Date.now() + 30;
    while (Date.now() < until) {
      // Block the loop so the window has a measurable delay.
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    const sample = monitor.sample();
    expect(sample.eventLoopDelay.max).toBeGreaterThan(0);
    expect(sample.eventLoopUtilization).toBeGreaterThan(0);
    expect(sample.heapUsedBytes).toBeGreaterThan(0);
    expect(sample.rssBytes).toBeGreaterThanOrEqual(sample.heapUsedBytes);
    expect(sample.activeResources).toBeGreaterThanOrEqual(0);
  });

  it('counts garbage-collection pauses seen through PerformanceObserver', async () => {
    monitor = createProcessMonitor();
    let garbage: unknown[] = [];
    for (let round = 0; round < 20; round++) garbage = Array.from({ length: 50_000 }, (_, i) => ({ i }));
    expect(garbage.length).toBe(50_000);
    // GC entries are delivered asynchronously.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const sample = monitor.sample();
    expect(sample.gc.count).toBeGreaterThan(0);
    expect(monitor.sample().gc.count).toBe(0);
  });

  it('rejects a resolution below 1 ms at construction', () => {
    expect(() => createProcessMonitor({ eventLoopResolutionMs: 0 })).toThrow(
      new InvalidOptionError('eventLoopResolutionMs', 'an integer >= 1', 0),
    );
  });
});
