import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { type AlertEvent, createThresholdWatcher, InvalidOptionError } from '../src/index.js';

describe('createThresholdWatcher', () => {
  it('uses the seed defaults and reports a level only after it held for minDurationMs', () => {
    const watcher = createThresholdWatcher({ minDurationMs: 10_000 });
    expect(watcher.check({ cpuPercent: 72 }, 0)).toEqual([]);
    expect(watcher.check({ cpuPercent: 73 }, 5_000)).toEqual([]);
    expect(watcher.check({ cpuPercent: 74 }, 10_000)).toEqual([
      { metric: 'cpuPercent', level: 'warning', previous: 'ok', value: 74, threshold: 70, at: 10_000 },
    ]);
    expect(watcher.stats()).toEqual({ cpuPercent: 'warning' });
  });

  it('ignores a short spike that falls back before the minimum duration', () => {
    const watcher = createThresholdWatcher({ minDurationMs: 10_000 });
    watcher.check({ socTempC: 90 }, 0);
    watcher.check({ socTempC: 60 }, 5_000);
    expect(watcher.check({ socTempC: 60 }, 20_000)).toEqual([]);
    expect(watcher.stats()).toEqual({ socTempC: 'ok' });
  });

  it('stays at a level while the value hovers just below its threshold (hysteresis)', () => {
    const watcher = createThresholdWatcher({ minDurationMs: 0, hysteresis: 0.05 });
    expect(watcher.check({ memoryPercent: 91 }, 0).map((e) => e.level)).toEqual(['critical']);
    expect(watcher.check({ memoryPercent: 88 }, 1)).toEqual([]);
    expect(watcher.check({ memoryPercent: 85 }, 2).map((e) => e.level)).toEqual(['warning']);
    expect(watcher.check({ memoryPercent: 50 }, 3).map((e) => e.level)).toEqual(['ok']);
  });

  it('posts each event to the webhook as JSON', async () => {
    const received: AlertEvent[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push(JSON.parse(body) as AlertEvent);
        response.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const watcher = createThresholdWatcher({ minDurationMs: 0, webhookUrl: `http://127.0.0.1:${port}/hook` });
    watcher.check({ activeUsers: 50 }, 1);
    while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => server.close(resolve));
    expect(received).toEqual([
      { metric: 'activeUsers', level: 'critical', previous: 'ok', value: 50, threshold: 50, at: 1 },
    ]);
  });

  it('reports an unreachable webhook to onWebhookError without throwing', async () => {
    const failures: unknown[] = [];
    const watcher = createThresholdWatcher({
      minDurationMs: 0,
      webhookUrl: 'http://127.0.0.1:1/hook',
      onWebhookError: (error) => failures.push(error),
    });
    expect(watcher.check({ errorRatePercent: 20 }, 0)).toHaveLength(1);
    while (failures.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(failures[0]).toBeInstanceOf(Error);
  });

  it('rejects a warning level above the critical level at construction', () => {
    expect(() => createThresholdWatcher({ thresholds: { diskPercent: { warning: 99, critical: 90 } } })).toThrow(
      InvalidOptionError,
    );
    expect(() => createThresholdWatcher({ hysteresis: 1 })).toThrow(
      'Expected `hysteresis` to be a number in [0, 1), got 1',
    );
  });
});
