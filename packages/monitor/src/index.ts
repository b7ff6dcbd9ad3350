export type { CpuCluster, CpuStats } from './cpu.js';
export { defaults, defaultThresholds } from './defaults.js';
export { errors, InvalidOptionError, MissingPeerError, PilmsMonitorError } from './errors.js';
export type {
  DiskIo,
  DiskSpace,
  LoadStats,
  MemoryStats,
  NetworkInterface,
  PressureStats,
  ThermalZone,
} from './kernel-files.js';
export {
  createSystemCollector,
  type SystemCollector,
  type SystemCollectorOptions,
  type SystemSnapshot,
} from './system.js';
