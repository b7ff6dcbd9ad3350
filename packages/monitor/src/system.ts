import { type CpuStats, createCpuReader } from './cpu.js';
import { defaults } from './defaults.js';
import { InvalidOptionError } from './errors.js';
import {
  type DiskIo,
  type DiskSpace,
  type LoadStats,
  type MemoryStats,
  type NetworkInterface,
  type PressureStats,
  readDiskIo,
  readDiskSpace,
  readLoad,
  readMemory,
  readNetwork,
  readPressure,
  readThermal,
  type ThermalZone,
} from './kernel-files.js';

/** Options of {@link createSystemCollector}. */
export interface SystemCollectorOptions {
  /** Directory holding `proc/` and `sys/`. Default `'/'`. */
  root?: string;
  /** Paths measured with statfs, relative to `root`. Default `['/']`. */
  diskPaths?: readonly string[];
}

/** One system sample. A section is absent (or empty) when the kernel does not expose its files. */
export interface SystemSnapshot {
  timestamp: number;
  cpu?: CpuStats;
  memory?: MemoryStats;
  load?: LoadStats;
  disks: DiskSpace[];
  diskIo: DiskIo[];
  network: NetworkInterface[];
  thermal: ThermalZone[];
  pressure: Partial<Record<'cpu' | 'memory' | 'io', PressureStats>>;
}

/** Reads system metrics. */
export interface SystemCollector {
  /** Reads every source asynchronously; CPU usage is the delta since the previous call. */
  collect(): Promise<SystemSnapshot>;
}

/** Creates a collector that reads `/proc` and `/sys` directly, never spawning processes. */
export function createSystemCollector(options: SystemCollectorOptions = {}): SystemCollector {
  const root = options.root ?? defaults.root;
  const diskPaths = options.diskPaths ?? defaults.diskPaths;
  if (typeof root !== 'string' || root === '') throw new InvalidOptionError('root', 'a non-empty path', root);
  if (!Array.isArray(diskPaths)) throw new InvalidOptionError('diskPaths', 'an array of paths', diskPaths);
  const readCpu = createCpuReader(root);
  return {
    async collect() {
      const [cpu, memory, load, disks, diskIo, network, thermal, pressure] = await Promise.all([
        readCpu(),
        readMemory(root),
        readLoad(root),
        readDiskSpace(root, diskPaths),
        readDiskIo(root),
        readNetwork(root),
        readThermal(root),
        readPressure(root),
      ]);
      const snapshot: SystemSnapshot = { timestamp: Date.now(), disks, diskIo, network, thermal, pressure };
      if (cpu) snapshot.cpu = cpu;
      if (memory) snapshot.memory = memory;
      if (load) snapshot.load = load;
      return snapshot;
    },
  };
}
