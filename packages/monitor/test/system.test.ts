import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/index.js';
import { createSystemCollector, InvalidOptionError } from '../src/index.js';

const rk3588 = join(import.meta.dirname, 'fixtures/rk3588');
const thisMachine = join(import.meta.dirname, 'fixtures/this-machine');

describe('createSystemCollector on an RK3588 layout', () => {
  it('groups the eight cores into a little and a big cluster by cpu_capacity with their frequencies', async () => {
    const { cpu } = await createSystemCollector({ root: rk3588 }).collect();
    expect(cpu?.cores).toHaveLength(8);
    expect(cpu?.clusters).toEqual([
      expect.objectContaining({ id: 0, cpus: [0, 1, 2, 3], capacity: 414, maxMhz: 1800, curMhz: 1200 }),
      expect.objectContaining({ id: 1, cpus: [4, 5, 6, 7], capacity: 1024, maxMhz: 2400, curMhz: 1800 }),
    ]);
  });

  it('reads every thermal zone by type with its trip points', async () => {
    const { thermal } = await createSystemCollector({ root: rk3588 }).collect();
    expect(thermal.map((zone) => zone.type)).toEqual([
      'soc-thermal',
      'bigcore0-thermal',
      'bigcore1-thermal',
      'littlecore-thermal',
      'center-thermal',
      'gpu-thermal',
      'npu-thermal',
    ]);
    expect(thermal[0]).toEqual({
      type: 'soc-thermal',
      tempC: 46.25,
      trips: [
        { type: 'passive', tempC: 85 },
        { type: 'critical', tempC: 115 },
      ],
    });
  });

  it('reads memory, swap, load, pressure, block devices and network interfaces', async () => {
    const snapshot = await createSystemCollector({ root: rk3588 }).collect();
    expect(snapshot.memory).toEqual({
      totalBytes: 16183128 * 1024,
      availableBytes: 12345678 * 1024,
      usedPercent: expect.closeTo(23.71, 1),
      swapTotalBytes: 8091560 * 1024,
      swapUsedBytes: 91560 * 1024,
    });
    expect(snapshot.load).toEqual({ load1: 1.25, load5: 0.98, load15: 0.75 });
    expect(snapshot.pressure.io).toEqual({ someAvg10: 1.5, someAvg60: 0.8, fullAvg10: 0.5, fullAvg60: 0.2 });
    expect(snapshot.diskIo).toEqual([
      { device: 'mmcblk0', readBytes: 960000 * 512, writeBytes: 640000 * 512, ioMs: 7000 },
    ]);
    expect(snapshot.network).toEqual([
      { iface: 'eth0', rxBytes: 98765432, txBytes: 12345678, rxErrors: 1, txErrors: 0 },
    ]);
    expect(snapshot.disks[0]?.totalBytes).toBeGreaterThan(0);
  });

  it('reports CPU usage as the delta between two samples', async () => {
    const root = await tempDir();
    await cp(rk3588, root, { recursive: true });
    const collector = createSystemCollector({ root });
    await collector.collect();
    const stat = await readFile(join(root, 'proc/stat'), 'utf8');
    // cpu0 gains 100 busy user ticks and 100 idle ticks: 50 % busy; the others stay idle-only.
    const next = stat
      .replace(/^cpu0 8000 20 4000 100000/m, 'cpu0 8100 20 4000 100100')
      .replace(/^cpu1 7000 20 3000 100000/m, 'cpu1 7000 20 3000 100200');
    await writeFile(join(root, 'proc/stat'), next);
    const { cpu } = await collector.collect();
    expect(cpu?.cores[0]).toBe(50);
    expect(cpu?.cores[1]).toBe(0);
    expect(cpu?.clusters[0]?.usagePercent).toBe(12.5);
  });
});

describe('createSystemCollector with missing files', () => {
  it('returns absent metrics instead of crashing on an empty root', async () => {
    const snapshot = await createSystemCollector({ root: await tempDir(), diskPaths: ['/nope'] }).collect();
    expect(snapshot).toEqual({
      timestamp: expect.any(Number),
      disks: [],
      diskIo: [],
      network: [],
      thermal: [],
      pressure: {},
    });
  });

  it('falls back to cpufreq max frequency to form clusters when cpu_capacity is missing', async () => {
    const root = await tempDir();
    await cp(rk3588, root, { recursive: true });
    for (let cpu = 0; cpu < 8; cpu++) await rm(join(root, `sys/devices/system/cpu/cpu${cpu}/cpu_capacity`));
    const { cpu } = await createSystemCollector({ root }).collect();
    expect(cpu?.clusters.map((cluster) => [cluster.cpus, cluster.maxMhz])).toEqual([
      [[0, 1, 2, 3], 1800],
      [[4, 5, 6, 7], 2400],
    ]);
  });

  it('reads the files copied from this machine', async () => {
    const snapshot = await createSystemCollector({ root: thisMachine }).collect();
    expect(snapshot.cpu?.cores.length).toBeGreaterThan(0);
    expect(snapshot.memory?.totalBytes).toBeGreaterThan(0);
    expect(snapshot.load?.load1).toBeGreaterThanOrEqual(0);
  });

  it('rejects an empty root at construction', () => {
    expect(() => createSystemCollector({ root: '' })).toThrow(InvalidOptionError);
    expect(() => createSystemCollector({ root: '' })).toThrow('Expected `root` to be a non-empty path, got ');
  });
});
