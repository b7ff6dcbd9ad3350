import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/index.js';
import { openHistory } from '../src/adapters/history.js';
import { createReporter, createSystemCollector, InvalidOptionError, seriesNames, toSeries } from '../src/index.js';

const minute = 60_000;

describe('createReporter', () => {
  it('classifies saturated big cores and thermal throttling and recommends plain fixes', async () => {
    const history = await openHistory({ path: join(await tempDir(), 'h.db') });
    for (let s = 0; s < 300; s++) {
      history.record(
        {
          [seriesNames.bigCores]: 95,
          [seriesNames.cpu]: 60,
          [seriesNames.socTemp]: 82,
          [seriesNames.bigFreqRatio]: 0.75,
          [seriesNames.memory]: 40,
          [seriesNames.eventLoopP99]: 5,
        },
        s * 1000,
      );
    }
    const report = createReporter({ history }).report({ period: 5 * minute, now: 300_000 });
    await history.close();
    expect(report.bottlenecks).toEqual(['big-cores-saturated', 'thermal-throttling']);
    expect(report.series[seriesNames.bigCores]).toEqual({ p50: 95, p95: 95, p99: 95, samples: 300 });
    expect(report.recommendations).toHaveLength(2);
    expect(report.recommendations[1]).toContain('heatsink');
  });

  it('suspects a leak when the heap grows more than 10 % per hour and projects CPU capacity', async () => {
    const history = await openHistory({ path: join(await tempDir(), 'h.db') });
    for (let s = 0; s < 600; s++) {
      history.record({ [seriesNames.heap]: 100e6 * (1 + s / 3600), [seriesNames.cpu]: 20 + s / 60 }, s * 1000);
    }
    const report = createReporter({ history }).report({ period: 10 * minute, now: 600_000 });
    await history.close();
    expect(report.memoryGrowth?.leakSuspected).toBe(true);
    expect(report.memoryGrowth?.percentPerHour).toBeGreaterThan(10);
    expect(report.capacityTrend?.cpuPointsPerHour).toBeCloseTo(60, 0);
    expect(report.capacityTrend?.hoursToCritical).toBeGreaterThan(0);
    expect(report.bottlenecks).toEqual([]);
  });

  it('turns a fixture snapshot into the named series', async () => {
    const snapshot = await createSystemCollector({ root: join(import.meta.dirname, 'fixtures/rk3588') }).collect();
    const values = toSeries(snapshot);
    expect(values[seriesNames.socTemp]).toBe(47.1);
    expect(values[seriesNames.bigFreqRatio]).toBe(0.75);
  });

  it('rejects a non-positive period', () => {
    const reporter = createReporter({ history: { query: () => [] } });
    expect(() => reporter.report({ period: 0 })).toThrow(InvalidOptionError);
  });
});
