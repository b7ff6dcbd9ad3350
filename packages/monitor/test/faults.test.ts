import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/index.js';
import { createSystemCollector, MissingPeerError, PilmsMonitorError } from '../src/index.js';
import { loadPeer } from '../src/load-peer.js';

const rk3588 = join(import.meta.dirname, 'fixtures/rk3588');

async function boardCopy() {
  const root = join(await tempDir(), 'board');
  await cp(rk3588, root, { recursive: true });
  return root;
}

describe('collectors on bad kernel files', () => {
  it('leaves out garbled /proc lines and files instead of reporting NaN', async () => {
    const root = await boardCopy();
    const stat = await readFile(join(root, 'proc/stat'), 'utf8');
    await writeFile(join(root, 'proc/stat'), stat.replace(/^cpu3 .*$/m, 'cpu3 12 x garbage'));
    await writeFile(join(root, 'proc/meminfo'), 'MemFree: lots\n');
    await writeFile(join(root, 'proc/loadavg'), 'not a load average\n');
    await writeFile(join(root, 'proc/diskstats'), ' 179 0 mmcblk0 a b c d e f g h i j k\n 179 32 mmcblk1 1\n');
    const dev = await readFile(join(root, 'proc/net/dev'), 'utf8');
    await writeFile(join(root, 'proc/net/dev'), `${dev}  wlan0: x y z\n`);
    const snapshot = await createSystemCollector({ root }).collect();
    expect(Object.keys(snapshot.cpu?.cores ?? []).map(Number)).toEqual([0, 1, 2, 4, 5, 6, 7]);
    expect(snapshot.cpu?.cores.filter((value) => value !== undefined).every(Number.isFinite)).toBe(true);
    expect(Number.isFinite(snapshot.cpu?.usagePercent)).toBe(true);
    expect(snapshot.memory).toBeUndefined();
    expect(snapshot.load).toBeUndefined();
    expect(snapshot.diskIo).toEqual([]);
    expect(snapshot.network.map((entry) => entry.iface)).toEqual(['eth0']);
  });

  it('keeps CPU usage within 0-100 % when counters go backwards or wrap', async () => {
    const root = await boardCopy();
    const collector = createSystemCollector({ root });
    await collector.collect();
    const stat = await readFile(join(root, 'proc/stat'), 'utf8');
    // cpu0's counters restart near zero (core hot-plugged); cpu1's busy counter wrapped while idle kept growing.
    await writeFile(
      join(root, 'proc/stat'),
      stat
        .replace(/^cpu0 .*$/m, 'cpu0 30 0 10 60 0 0 0 0 0 0')
        .replace(/^cpu1 .*$/m, 'cpu1 5 0 0 100500 400 0 80 0 0 0'),
    );
    const { cpu } = await collector.collect();
    expect(cpu?.cores[0]).toBe(40);
    expect(cpu?.cores[1]).toBeGreaterThanOrEqual(0);
    expect(cpu?.cores[1]).toBeLessThanOrEqual(100);
    expect(cpu?.cores.every((value) => value >= 0 && value <= 100)).toBe(true);
  });

  it('skips a thermal zone whose temperature cannot be read and keeps the others', async () => {
    const root = await boardCopy();
    // Reading a directory fails with EISDIR, like a zone whose driver answers EIO or EINVAL.
    await rm(join(root, 'sys/class/thermal/thermal_zone6/temp'));
    await mkdir(join(root, 'sys/class/thermal/thermal_zone6/temp'));
    const { thermal } = await createSystemCollector({ root }).collect();
    expect(thermal).toHaveLength(6);
    expect(thermal.map((zone) => zone.type)).not.toContain('npu-thermal');
    expect(thermal.find((zone) => zone.type === 'soc-thermal')?.tempC).toBe(46.25);
  });
});

describe('loadPeer', () => {
  it('turns a peer that is not installed into MissingPeerError naming it', async () => {
    const specifier = 'pilms-peer-that-is-not-installed';
    const error = await loadPeer('better-sqlite3', () => import(specifier)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MissingPeerError);
    expect(PilmsMonitorError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'PILMS_MONITOR_MISSING_PEER',
      peer: 'better-sqlite3',
      message: expect.stringContaining('npm install better-sqlite3'),
      cause: expect.objectContaining({ code: 'ERR_MODULE_NOT_FOUND' }),
    });
  });

  it('rethrows a peer that fails while loading instead of calling it missing', async () => {
    const broken = new Error('native binding was built for another Node');
    await expect(loadPeer('better-sqlite3', () => Promise.reject(broken))).rejects.toBe(broken);
  });
});
