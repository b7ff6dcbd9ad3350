import { list, readInt, readText } from './procfs.js';

/** One group of identical cores (e.g. the A55 or A76 cluster of an RK3588). */
export interface CpuCluster {
  /** Index of the cluster, ordered from the weakest to the strongest cores. */
  id: number;
  cpus: number[];
  /** Relative capacity from `cpu_capacity` (1024 = strongest core), when the kernel exposes it. */
  capacity?: number;
  /** Highest `cpuinfo_max_freq` of the cluster's cpufreq policies, in MHz. */
  maxMhz?: number;
  /** Lowest current frequency among the cluster's policies, in MHz (the one that shows throttling). */
  curMhz?: number;
  /** Mean busy percentage of the cluster's cores over the last interval. */
  usagePercent: number;
}

/** CPU usage over the interval since the previous collection (since boot on the first one). */
export interface CpuStats {
  usagePercent: number;
  /** Busy percentage of each core, indexed by cpu number. */
  cores: number[];
  clusters: CpuCluster[];
}

interface Ticks {
  busy: number;
  total: number;
}

function parseStat(text: string): Map<number, Ticks> {
  const ticks = new Map<number, Ticks>();
  for (const line of text.split('\n')) {
    const match = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!match?.[1] || match[2] === undefined) continue;
    const fields = match[2].trim().split(/\s+/).map(Number);
    // A truncated or garbled line would turn every later percentage into NaN: leave that core out.
    if (fields.length < 4 || fields.some((field) => !Number.isFinite(field))) continue;
    // idle + iowait are not busy time; guest time is already inside user.
    const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    ticks.set(Number(match[1]), { busy: total - idle, total });
  }
  return ticks;
}

interface Policy {
  cpus: number[];
  maxKhz?: number;
  curKhz?: number;
}

async function readPolicies(root: string): Promise<Policy[]> {
  const base = 'sys/devices/system/cpu/cpufreq';
  const names = (await list(root, base)).filter((name) => name.startsWith('policy'));
  return Promise.all(
    names.map(async (name) => {
      const related = (await readText(root, `${base}/${name}/related_cpus`)) ?? name.slice('policy'.length);
      const policy: Policy = { cpus: related.trim().split(/\s+/).map(Number) };
      const maxKhz = await readInt(root, `${base}/${name}/cpuinfo_max_freq`);
      const curKhz = await readInt(root, `${base}/${name}/scaling_cur_freq`);
      if (maxKhz !== undefined) policy.maxKhz = maxKhz;
      if (curKhz !== undefined) policy.curKhz = curKhz;
      return policy;
    }),
  );
}

interface Topology {
  cpu: number;
  capacity?: number;
  clusterId?: number;
}

async function readTopology(root: string, cpus: number[]): Promise<Topology[]> {
  return Promise.all(
    cpus.map(async (cpu) => {
      const entry: Topology = { cpu };
      const capacity = await readInt(root, `sys/devices/system/cpu/cpu${cpu}/cpu_capacity`);
      const clusterId = await readInt(root, `sys/devices/system/cpu/cpu${cpu}/topology/cluster_id`);
      if (capacity !== undefined) entry.capacity = capacity;
      if (clusterId !== undefined) entry.clusterId = clusterId;
      return entry;
    }),
  );
}

const mean = (values: number[]): number =>
  values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;

/**
 * Groups cores by `cpu_capacity`, else by `cpuinfo_max_freq`, else by topology `cluster_id`:
 * capacity is what the scheduler itself uses to tell big from little cores.
 */
function groupClusters(topology: Topology[], policies: Policy[], cores: number[]): CpuCluster[] {
  const policyOf = (cpu: number) => policies.find((policy) => policy.cpus.includes(cpu));
  const keyOf = (entry: Topology): number => entry.capacity ?? policyOf(entry.cpu)?.maxKhz ?? entry.clusterId ?? 0;
  const groups = new Map<number, number[]>();
  for (const entry of topology) groups.set(keyOf(entry), [...(groups.get(keyOf(entry)) ?? []), entry.cpu]);
  return [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, cpus], id) => {
      const cluster: CpuCluster = { id, cpus, usagePercent: mean(cpus.map((cpu) => cores[cpu] ?? 0)) };
      const capacity = topology.find((entry) => entry.cpu === cpus[0])?.capacity;
      const own = policies.filter((policy) => policy.cpus.some((cpu) => cpus.includes(cpu)));
      const max = own.flatMap((policy) => (policy.maxKhz === undefined ? [] : [policy.maxKhz]));
      const cur = own.flatMap((policy) => (policy.curKhz === undefined ? [] : [policy.curKhz]));
      if (capacity !== undefined) cluster.capacity = capacity;
      if (max.length > 0) cluster.maxMhz = Math.max(...max) / 1000;
      if (cur.length > 0) cluster.curMhz = Math.min(...cur) / 1000;
      return cluster;
    });
}

const zero: Ticks = { busy: 0, total: 0 };

/** Creates a reader of per-core CPU usage that remembers the previous sample to compute deltas. */
export function createCpuReader(root: string): () => Promise<CpuStats | undefined> {
  let previous = new Map<number, Ticks>();
  return async () => {
    const text = await readText(root, 'proc/stat');
    if (text === undefined) return undefined;
    const current = parseStat(text);
    const cpus = [...current.keys()].sort((a, b) => a - b);
    const cores: number[] = [];
    for (const cpu of cpus) {
      const now = current.get(cpu) ?? zero;
      let before = previous.get(cpu) ?? zero;
      // Counters that went backwards (a core taken offline and back, a wrapped 32-bit counter) restarted
      // from zero: the delta since that restart is the counters themselves.
      if (now.total < before.total || now.busy < before.busy) before = zero;
      const total = now.total - before.total;
      cores[cpu] = total > 0 ? Math.min(100, Math.max(0, (100 * (now.busy - before.busy)) / total)) : 0;
    }
    previous = current;
    const [topology, policies] = await Promise.all([readTopology(root, cpus), readPolicies(root)]);
    return {
      usagePercent: mean(cpus.map((cpu) => cores[cpu] ?? 0)),
      cores,
      clusters: groupClusters(topology, policies, cores),
    };
  };
}

/** Readable names of clusters ordered weakest first: `little`/`big`, with `mid`, `mid2`... between; `all` when uniform. */
export function clusterName(index: number, count: number): string {
  if (count === 1) return 'all';
  if (index === 0) return 'little';
  if (index === count - 1) return 'big';
  return index === 1 ? 'mid' : `mid${index}`;
}
