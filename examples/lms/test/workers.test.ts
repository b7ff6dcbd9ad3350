import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/index.js';
import { defaultWorkers } from '../src/workers.js';

async function fakeSysfs(capacities: number[]): Promise<string> {
  const root = await tempDir('pilms-lms-cpus-');
  for (const [i, capacity] of capacities.entries()) {
    await mkdir(join(root, `cpu${i}`));
    await writeFile(join(root, `cpu${i}`, 'cpu_capacity'), `${capacity}\n`);
  }
  return root;
}

describe('the default worker count', () => {
  it('uses the four efficiency cores of an RK3588 (4 x A55 at 414, 4 x A76 at 1024)', async () => {
    expect(defaultWorkers({}, await fakeSysfs([414, 414, 414, 414, 1024, 1024, 1024, 1024]))).toBe(4);
  });

  it('uses every CPU when all cores are alike or cpu_capacity is missing', async () => {
    expect(defaultWorkers({}, await fakeSysfs([1024, 1024]))).toBe(availableParallelism());
    expect(defaultWorkers({}, join(await tempDir('pilms-lms-nocpu-'), 'absent'))).toBe(availableParallelism());
  });

  it('lets WORKERS override and rejects a value that is not a positive integer', () => {
    expect(defaultWorkers({ WORKERS: '3' })).toBe(3);
    expect(() => defaultWorkers({ WORKERS: '0' })).toThrow('Expected `WORKERS` to be an integer >= 1, got 0');
  });
});
