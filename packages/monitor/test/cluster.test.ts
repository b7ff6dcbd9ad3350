import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { serveWorkerMetrics } from '../src/adapters/cluster.js';
import { InvalidOptionError } from '../src/index.js';

describe('cluster aggregation', () => {
  it('sums the gauges of every worker in the primary through AggregatorRegistry', async () => {
    const script = join(import.meta.dirname, 'fixtures/cluster-primary.ts');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { timeout: 60_000 });
    expect(stdout).toContain('pilms_app_requests 11');
  });

  it('rejects a non-positive refresh interval', async () => {
    await expect(
      serveWorkerMetrics({ registry: {} as never, metrics: async () => '' }, { refreshMs: 0 }),
    ).rejects.toThrow(InvalidOptionError);
  });
});
