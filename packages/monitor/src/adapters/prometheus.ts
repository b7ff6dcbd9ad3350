import type { Gauge, Registry } from 'prom-client';
import { flattenStats, type StatsSource } from '../flatten.js';
import { loadPeer } from '../load-peer.js';
import type { ProcessMonitor } from '../process.js';
import type { SystemCollector, SystemSnapshot } from '../system.js';

/** Options of {@link createPrometheusExporter}. */
export interface PrometheusExporterOptions {
  /** Registry to fill. Default: a new prom-client `Registry`. */
  registry?: Registry;
  /** Prefix of every metric name. Default `'pilms'`. */
  prefix?: string;
  /** System collector exposed as labelled gauges (per core, cluster, zone, disk, interface). */
  system?: SystemCollector;
  /** Process monitor exposed as gauges (one window per scrape). */
  process?: ProcessMonitor;
  /** Any `{ stats() }` objects; their numeric leaves become gauges named `<prefix>_<key>_<path>`. */
  sources?: Record<string, StatsSource>;
}

/** Serves Prometheus text built by prom-client. */
export interface PrometheusExporter {
  readonly registry: Registry;
  readonly contentType: string;
  /** Refreshes every gauge from its source and returns the exposition text. */
  metrics(): Promise<string>;
}

type Labelled = [labels: Record<string, string>, value: number | undefined];

/** Labelled system gauges: name, help, label names and how to read the values from a snapshot. */
const systemGauges: [string, string, string[], (s: SystemSnapshot) => Labelled[]][] = [
  [
    'cpu_usage_percent',
    'CPU busy percent over the last interval',
    ['cpu'],
    (s) => (s.cpu?.cores ?? []).map((value, cpu) => [{ cpu: String(cpu) }, value]),
  ],
  [
    'cpu_cluster_usage_percent',
    'Mean busy percent of a core cluster',
    ['cluster'],
    (s) => (s.cpu?.clusters ?? []).map((c) => [{ cluster: String(c.id) }, c.usagePercent]),
  ],
  [
    'cpu_cluster_frequency_mhz',
    'Lowest current frequency of a cluster',
    ['cluster'],
    (s) => (s.cpu?.clusters ?? []).map((c) => [{ cluster: String(c.id) }, c.curMhz]),
  ],
  [
    'cpu_cluster_max_frequency_mhz',
    'Maximum frequency of a cluster',
    ['cluster'],
    (s) => (s.cpu?.clusters ?? []).map((c) => [{ cluster: String(c.id) }, c.maxMhz]),
  ],
  [
    'thermal_celsius',
    'Temperature of a thermal zone',
    ['zone'],
    (s) => s.thermal.map((z) => [{ zone: z.type }, z.tempC]),
  ],
  ['memory_used_percent', 'Memory in use (total - available)', [], (s) => [[{}, s.memory?.usedPercent]]],
  ['memory_available_bytes', 'MemAvailable', [], (s) => [[{}, s.memory?.availableBytes]]],
  ['swap_used_bytes', 'Swap in use', [], (s) => [[{}, s.memory?.swapUsedBytes]]],
  ['load1', 'One-minute load average', [], (s) => [[{}, s.load?.load1]]],
  [
    'disk_used_percent',
    'Filesystem space in use',
    ['path'],
    (s) => s.disks.map((d) => [{ path: d.path }, d.usedPercent]),
  ],
  [
    'disk_io_seconds',
    'Time spent doing I/O (cumulative)',
    ['device'],
    (s) => s.diskIo.map((d) => [{ device: d.device }, d.ioMs / 1000]),
  ],
  [
    'network_receive_bytes',
    'Bytes received (cumulative)',
    ['iface'],
    (s) => s.network.map((n) => [{ iface: n.iface }, n.rxBytes]),
  ],
  [
    'network_transmit_bytes',
    'Bytes sent (cumulative)',
    ['iface'],
    (s) => s.network.map((n) => [{ iface: n.iface }, n.txBytes]),
  ],
  [
    'pressure_some_avg10',
    'Percent of time some task stalled (10 s)',
    ['resource'],
    (s) => Object.entries(s.pressure).map(([resource, p]) => [{ resource }, p.someAvg10]),
  ],
];

/**
 * Creates an exporter that exposes system, process and generic `stats()` metrics through prom-client.
 * prom-client is an optional peer, loaded here; a missing install throws `MissingPeerError`.
 */
export async function createPrometheusExporter(options: PrometheusExporterOptions = {}): Promise<PrometheusExporter> {
  const client = await loadPeer('prom-client', () => import('prom-client'));
  const registry = options.registry ?? new client.Registry();
  const prefix = options.prefix ?? 'pilms';
  const gauges = new Map<string, Gauge>();
  const gauge = (name: string, help: string, labelNames: string[] = []): Gauge => {
    let existing = gauges.get(name);
    if (!existing) {
      existing = new client.Gauge({ name, help, labelNames, registers: [registry] });
      gauges.set(name, existing);
    }
    return existing;
  };
  const setLeaves = (value: unknown, name: string, help: string) => {
    for (const leaf of flattenStats(value, name)) gauge(leaf.name, help).set(leaf.value);
  };
  return {
    registry,
    contentType: registry.contentType,
    async metrics() {
      if (options.system) {
        const snapshot = await options.system.collect();
        for (const [name, help, labelNames, read] of systemGauges) {
          const target = gauge(`${prefix}_${name}`, help, labelNames);
          target.reset();
          for (const [labels, value] of read(snapshot)) if (value !== undefined) target.set(labels, value);
        }
      }
      if (options.process) setLeaves(options.process.sample(), `${prefix}_process`, 'Node process metric');
      for (const [key, source] of Object.entries(options.sources ?? {})) {
        setLeaves(source.stats(), `${prefix}_${key}`, `stats() of ${key}`);
      }
      return registry.metrics();
    },
  };
}
