import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PilmsAiQueueError } from './errors.js';

/** The sysfs CPU directory could not be read, so big cores cannot be detected. */
export class CpuTopologyError extends PilmsAiQueueError {
  constructor(
    readonly sysfsRoot: string,
    options?: ErrorOptions,
  ) {
    super(
      `Could not list CPUs under ${sysfsRoot}; pass \`sysfsRoot\` pointing at a directory with cpuN/ entries`,
      'ERR_AI_QUEUE_CPU_TOPOLOGY',
      options,
    );
  }
}

/** One CPU as seen in sysfs. */
export interface CpuInfo {
  id: number;
  /** `cpu_capacity` (ARM big.LITTLE scale, 1024 = biggest), when the kernel exposes it. */
  capacity?: number;
  /** `cpufreq/cpuinfo_max_freq` in kHz, when present. */
  maxFreqKHz?: number;
}

/** Result of {@link detectBigCores}. */
export interface CpuTopology {
  cpus: CpuInfo[];
  /** Ids of the fastest cores (the A76 cluster on an RK3588). */
  big: number[];
  /** Ids of the remaining cores. */
  little: number[];
  /** What told big and little apart; `uniform` when all cores look alike (then every core is "big"). */
  source: 'cpu_capacity' | 'cpuinfo_max_freq' | 'uniform';
}

/** Options of {@link detectBigCores}. */
export interface DetectBigCoresOptions {
  /** Directory holding `cpu0/`, `cpu1/`, ...; default `/sys/devices/system/cpu` (override in tests/containers). */
  sysfsRoot?: string;
}

async function readNumber(path: string): Promise<number | undefined> {
  try {
    const value = Number((await readFile(path, 'utf8')).trim());
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function fastest(cpus: CpuInfo[], metric: (cpu: CpuInfo) => number | undefined): number[] | undefined {
  const values = cpus.map(metric);
  if (values.some((value) => value === undefined)) return undefined;
  const max = Math.max(...(values as number[]));
  if (Math.min(...(values as number[])) === max) return undefined;
  return cpus.filter((cpu) => metric(cpu) === max).map((cpu) => cpu.id);
}

/**
 * Finds the big cores: by `cpu_capacity` first (what the scheduler itself uses), else by `cpuinfo_max_freq`
 * (RK3588: A76 at 2.4 GHz vs A55 at 1.8 GHz). llama.cpp runs slower when its threads spill onto little cores,
 * because every token waits for the slowest thread.
 */
export async function detectBigCores(options: DetectBigCoresOptions = {}): Promise<CpuTopology> {
  const sysfsRoot = options.sysfsRoot ?? defaultsCpu.sysfsRoot;
  let entries: string[];
  try {
    entries = await readdir(sysfsRoot);
  } catch (error) {
    throw new CpuTopologyError(sysfsRoot, { cause: error });
  }
  const ids = entries
    .map((name) => /^cpu(\d+)$/.exec(name)?.[1])
    .filter((id): id is string => id !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  if (ids.length === 0) throw new CpuTopologyError(sysfsRoot);
  const cpus = await Promise.all(
    ids.map(async (id): Promise<CpuInfo> => {
      const dir = join(sysfsRoot, `cpu${id}`);
      const capacity = await readNumber(join(dir, 'cpu_capacity'));
      const maxFreqKHz = await readNumber(join(dir, 'cpufreq', 'cpuinfo_max_freq'));
      return {
        id,
        ...(capacity === undefined ? {} : { capacity }),
        ...(maxFreqKHz === undefined ? {} : { maxFreqKHz }),
      };
    }),
  );
  const byCapacity = fastest(cpus, (cpu) => cpu.capacity);
  const byFreq = byCapacity ? undefined : fastest(cpus, (cpu) => cpu.maxFreqKHz);
  const big = byCapacity ?? byFreq ?? ids;
  const source = byCapacity ? 'cpu_capacity' : byFreq ? 'cpuinfo_max_freq' : 'uniform';
  return { cpus, big, little: ids.filter((id) => !big.includes(id)), source };
}

/** Formats CPU ids as a taskset/systemd list, collapsing runs: [4,5,6,7] -> "4-7". */
export function formatCpuList(ids: readonly number[]): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] as number) === (sorted[j] as number) + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Options of {@link planCpuAffinity}. */
export interface CpuAffinityPlanOptions extends DetectBigCoresOptions {
  /** Command to pin; default `ollama serve`. */
  command?: string;
}

/** How to pin Ollama to the big cores. */
export interface CpuAffinityPlan {
  topology: CpuTopology;
  /** e.g. `4-7`. */
  cpuList: string;
  /** e.g. `taskset -c 4-7 ollama serve`. */
  tasksetCommand: string;
  /** Ollama/llama.cpp `num_thread` option: one thread per big core. */
  numThread: number;
  /** A systemd drop-in for ollama.service (`/etc/systemd/system/ollama.service.d/affinity.conf`). */
  systemdDropIn: string;
}

/** Detects the big cores and returns the taskset command, `num_thread` and a systemd drop-in that pin Ollama to them. */
export async function planCpuAffinity(options: CpuAffinityPlanOptions = {}): Promise<CpuAffinityPlan> {
  const topology = await detectBigCores(options);
  const cpuList = formatCpuList(topology.big);
  return {
    topology,
    cpuList,
    tasksetCommand: `taskset -c ${cpuList} ${options.command ?? defaultsCpu.command}`,
    numThread: topology.big.length,
    systemdDropIn: `[Service]\nCPUAffinity=${topology.big.join(' ')}\n`,
  };
}

/** Defaults of the CPU affinity helper. */
export const defaultsCpu = {
  sysfsRoot: '/sys/devices/system/cpu',
  command: 'ollama serve',
} as const;
