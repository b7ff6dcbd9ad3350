import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { list, readInt, readText } from './procfs.js';

/** Memory and swap from `/proc/meminfo`, in bytes. */
export interface MemoryStats {
  totalBytes: number;
  availableBytes: number;
  usedPercent: number;
  swapTotalBytes: number;
  swapUsedBytes: number;
}

export async function readMemory(root: string): Promise<MemoryStats | undefined> {
  const text = await readText(root, 'proc/meminfo');
  if (text === undefined) return undefined;
  const kb = new Map<string, number>();
  for (const match of text.matchAll(/^(\w+):\s+(\d+)/gm)) kb.set(match[1] ?? '', Number(match[2]) * 1024);
  const total = kb.get('MemTotal');
  if (total === undefined) return undefined;
  const available = kb.get('MemAvailable') ?? kb.get('MemFree') ?? 0;
  const swapTotal = kb.get('SwapTotal') ?? 0;
  return {
    totalBytes: total,
    availableBytes: available,
    usedPercent: total > 0 ? (100 * (total - available)) / total : 0,
    swapTotalBytes: swapTotal,
    swapUsedBytes: swapTotal - (kb.get('SwapFree') ?? swapTotal),
  };
}

/** Load averages from `/proc/loadavg`. */
export interface LoadStats {
  load1: number;
  load5: number;
  load15: number;
}

export async function readLoad(root: string): Promise<LoadStats | undefined> {
  const fields = (await readText(root, 'proc/loadavg'))?.trim().split(/\s+/).map(Number);
  if (!fields || fields.length < 3 || fields.slice(0, 3).some(Number.isNaN)) return undefined;
  return { load1: fields[0] ?? 0, load5: fields[1] ?? 0, load15: fields[2] ?? 0 };
}

/** One thermal zone, named by its `type` (e.g. `bigcore0-thermal`). */
export interface ThermalZone {
  type: string;
  tempC: number;
  /** Trip points (`passive`, `critical`...) in °C. */
  trips: { type: string; tempC: number }[];
}

export async function readThermal(root: string): Promise<ThermalZone[]> {
  const base = 'sys/class/thermal';
  const zones = (await list(root, base)).filter((name) => name.startsWith('thermal_zone')).sort();
  const read = await Promise.all(
    zones.map(async (zone): Promise<ThermalZone | undefined> => {
      const type = (await readText(root, `${base}/${zone}/type`))?.trim();
      const temp = await readInt(root, `${base}/${zone}/temp`);
      if (type === undefined || temp === undefined) return undefined;
      const trips: ThermalZone['trips'] = [];
      for (let index = 0; ; index++) {
        const tripTemp = await readInt(root, `${base}/${zone}/trip_point_${index}_temp`);
        if (tripTemp === undefined) break;
        const tripType = (await readText(root, `${base}/${zone}/trip_point_${index}_type`))?.trim() ?? 'unknown';
        trips.push({ type: tripType, tempC: tripTemp / 1000 });
      }
      return { type, tempC: temp / 1000, trips };
    }),
  );
  return read.filter((zone): zone is ThermalZone => zone !== undefined);
}

/** Pressure stall information of one resource (percent of time stalled). */
export interface PressureStats {
  someAvg10: number;
  someAvg60: number;
  fullAvg10?: number;
  fullAvg60?: number;
}

export async function readPressure(root: string): Promise<Partial<Record<'cpu' | 'memory' | 'io', PressureStats>>> {
  const result: Partial<Record<'cpu' | 'memory' | 'io', PressureStats>> = {};
  for (const resource of ['cpu', 'memory', 'io'] as const) {
    const text = await readText(root, `proc/pressure/${resource}`);
    const some = text && /^some avg10=([\d.]+) avg60=([\d.]+)/m.exec(text);
    if (!text || !some) continue;
    const entry: PressureStats = { someAvg10: Number(some[1]), someAvg60: Number(some[2]) };
    const full = /^full avg10=([\d.]+) avg60=([\d.]+)/m.exec(text);
    if (full) {
      entry.fullAvg10 = Number(full[1]);
      entry.fullAvg60 = Number(full[2]);
    }
    result[resource] = entry;
  }
  return result;
}

/** Space of one filesystem, from statfs. */
export interface DiskSpace {
  path: string;
  totalBytes: number;
  freeBytes: number;
  usedPercent: number;
}

export async function readDiskSpace(root: string, paths: readonly string[]): Promise<DiskSpace[]> {
  const read = await Promise.all(
    paths.map(async (path): Promise<DiskSpace | undefined> => {
      try {
        const info = await statfs(join(root, path));
        const total = info.blocks * info.bsize;
        const free = info.bavail * info.bsize;
        return {
          path,
          totalBytes: total,
          freeBytes: free,
          usedPercent: total > 0 ? (100 * (total - free)) / total : 0,
        };
      } catch {
        return undefined;
      }
    }),
  );
  return read.filter((disk): disk is DiskSpace => disk !== undefined);
}

/** Cumulative I/O of one block device from `/proc/diskstats`. */
export interface DiskIo {
  device: string;
  readBytes: number;
  writeBytes: number;
  /** Milliseconds spent doing I/O (field 10), the basis of utilisation. */
  ioMs: number;
}

export async function readDiskIo(root: string): Promise<DiskIo[]> {
  const text = await readText(root, 'proc/diskstats');
  if (text === undefined) return [];
  const devices: DiskIo[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const device = f[2];
    // Partitions and RAM/loop devices would double-count or add noise.
    if (!device || f.length < 14 || /^(ram|loop|zram)/.test(device) || /\dp\d+$|^(sd|vd|hd|xvd)[a-z]+\d+$/.test(device))
      continue;
    const [read, written, ioMs] = [Number(f[5]), Number(f[9]), Number(f[12])];
    if (![read, written, ioMs].every(Number.isFinite)) continue;
    devices.push({ device, readBytes: read * 512, writeBytes: written * 512, ioMs });
  }
  return devices;
}

/** Cumulative counters of one network interface from `/proc/net/dev`. */
export interface NetworkInterface {
  iface: string;
  rxBytes: number;
  txBytes: number;
  rxErrors: number;
  txErrors: number;
}

export async function readNetwork(root: string): Promise<NetworkInterface[]> {
  const text = await readText(root, 'proc/net/dev');
  if (text === undefined) return [];
  const result: NetworkInterface[] = [];
  for (const match of text.matchAll(/^\s*([^:\s]+):\s*(.*)$/gm)) {
    const f = (match[2] ?? '').trim().split(/\s+/).map(Number);
    if (match[1] === 'lo' || f.length < 11 || !f.every(Number.isFinite)) continue;
    result.push({
      iface: match[1] ?? '',
      rxBytes: f[0] ?? 0,
      rxErrors: f[2] ?? 0,
      txBytes: f[8] ?? 0,
      txErrors: f[10] ?? 0,
    });
  }
  return result;
}
