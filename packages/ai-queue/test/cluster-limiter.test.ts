import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const app = fileURLToPath(new URL('./children/cluster-app.ts', import.meta.url));

async function runApp(
  scenario: string,
): Promise<{ peak: number; stats: { held: number; waiting: number; granted: number } }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', app, scenario], {
    timeout: 30_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
}

describe('node:cluster slot limiter', () => {
  it('caps model calls across all workers at `slots`, with the semaphore in the primary', async () => {
    const result = await runApp('share');
    expect(result.peak).toBe(2);
    // Each worker also abandoned one acquisition; it may or may not have been granted before the cancel arrived.
    expect(result.stats).toMatchObject({ held: 0, waiting: 0 });
    expect(result.stats.granted).toBeGreaterThanOrEqual(12);
  });

  it('gives back the slots of a worker that dies while holding them', async () => {
    const result = await runApp('crash');
    // The survivor runs 2 calls at once again, so both slots the crashed worker held came back.
    expect(result.peak).toBe(2);
    expect(result.stats).toMatchObject({ held: 0, waiting: 0 });
    expect(result.stats.granted).toBeGreaterThanOrEqual(6);
  });
});
