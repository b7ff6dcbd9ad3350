// Benchmarks @pilms/monitor side by side in one run: the cost of one system collection
// (@pilms/monitor reading /proc and /sys vs systeminformation's equivalent calls), as CPU time per
// collection, % of one core at a 1 Hz scrape and the worst event-loop block while collecting; and
// the cost of recording one request (createRequestTracker vs a raw prom-client Histogram.observe);
// and the CI perf gate (bench/perf-gate) in wall-time and instruction-count modes: A/A false-positive rate
// and the smallest injected slowdown it detects.
// BENCH_QUICK=1 scales everything down for development on a shared machine.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createMonitor, createRequestTracker, createSystemCollector } from '@pilms/monitor';
import { Histogram, Registry } from 'prom-client';
import si from 'systeminformation';
import { gateFigures } from './monitor/gate.js';
import { bundleSuite, valgrindAvailable } from './perf-gate/suite-command.js';
import { type ResultRow, writeReport } from './support/report.js';
import { compareSideBySide } from './support/stats.js';

const quick = process.env.BENCH_QUICK === '1';
const rounds = quick ? 3 : 7;
const collectionsPerRound = quick ? 10 : 30;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const round2 = (n: number) => Math.round(n * 100) / 100;

const pilms = createSystemCollector();
const monitor = createMonitor({ sources: { tracker: createRequestTracker() } });
const collectors: Record<string, () => Promise<unknown>> = {
  '@pilms/monitor collect()': () => pilms.collect(),
  '@pilms/monitor createMonitor().tick() (system, process, requests, a source, history, thresholds)': () =>
    monitor.tick(),
  'systeminformation (load, mem, fs, net, temp, disksIO)': () =>
    Promise.all([si.currentLoad(), si.mem(), si.fsSize(), si.networkStats(), si.cpuTemperature(), si.disksIO()]),
};

interface Sample {
  cpuMs: number;
  wallMs: number;
  blockMs: number;
}

async function measure(collect: () => Promise<unknown>): Promise<Sample> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < collectionsPerRound; i++) await collect();
  const wallMs = (performance.now() - start) / collectionsPerRound;
  const used = process.cpuUsage(cpu);
  delay.disable();
  // systeminformation spawns helper processes for some calls; their CPU is not in process.cpuUsage,
  // so the wall time per collection is reported as well.
  return { cpuMs: (used.user + used.system) / 1000 / collectionsPerRound, wallMs, blockMs: delay.max / 1e6 };
}

const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(collectors).map((name) => [name, []]));
for (const collect of Object.values(collectors)) await collect();
for (let round = 0; round < rounds; round++) {
  for (const [name, collect] of Object.entries(collectors)) samples[name]?.push(await measure(collect));
}
const base = median((samples['@pilms/monitor collect()'] ?? []).map((s) => s.cpuMs));
const collection: ResultRow[] = Object.entries(samples).map(([name, list]) => {
  const cpuMs = median(list.map((s) => s.cpuMs));
  return {
    contender: name,
    'cpu ms / collection': round2(cpuMs),
    '% of one core at 1 Hz': round2(cpuMs / 10),
    'wall ms / collection': round2(median(list.map((s) => s.wallMs))),
    'max event-loop block ms': round2(median(list.map((s) => s.blockMs))),
    'cpu vs @pilms/monitor': round2(cpuMs / base),
  };
});

const tracker = createRequestTracker();
const registry = new Registry();
const histogram = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'request duration',
  labelNames: ['method', 'route', 'status'],
  registers: [registry],
});
let n = 0;
const observe = await compareSideBySide(
  {
    'createRequestTracker().record()': () => {
      n++;
      tracker.record({
        method: 'GET',
        route: `/courses/:id${n % 20}`,
        statusCode: 200,
        durationMs: n % 97,
        sessionId: `s${n % 50}`,
      });
    },
    'prom-client Histogram.observe() (raw)': () => {
      n++;
      histogram.observe({ method: 'GET', route: `/courses/:id${n % 20}`, status: '200' }, (n % 97) / 1000);
    },
  },
  { iterations: quick ? 20_000 : 200_000, rounds },
);
const raw = observe['prom-client Histogram.observe() (raw)'] ?? 1;
const observeRows: ResultRow[] = Object.entries(observe).map(([name, ns]) => ({
  contender: name,
  'ns / request': Math.round(ns),
  'vs raw prom-client': round2(ns / raw),
}));

const withValgrind = valgrindAvailable();
const gateRows = await gateFigures(await bundleSuite(), quick, withValgrind);
await monitor.close();

const tables = {
  'system collection (median of rounds)': collection,
  'recording one request': observeRows,
  'CI perf gate (bench/perf-gate) on this machine': gateRows,
};
writeReport('monitor', tables, [
  `${rounds} alternating rounds of ${collectionsPerRound} collections each; medians.${quick ? ' BENCH_QUICK=1 (scaled down).' : ''}`,
  'Measured on the shared 2-core development machine with other engineers running tests; absolute numbers are noisy, ratios are the point.',
  'CPU time is this process only: systeminformation also spawns helper processes whose CPU is not counted, so its real cost is higher.',
  'Gate: a metric regresses when the whole 95 % bootstrap CI of its median change lies above the threshold. Wall mode gates cacheL1GetRel, statementGetRel and requestRecordRel (each operation relative to a reference workload timed around its batch) at 10 %; instruction mode gates the whole-process instruction count (node --single-threaded, --count --scale 0.1) at 1 %, of which the measured operations are about 16 % (the rest is Node start-up, module setup and JIT), so an x1.1 slowdown of them moves the count by about 4 %.',
  'Injected slowdown: the set performs factor x the operations of each batch and divides by the nominal count, so both time and instructions of the measured loops grow by exactly that factor.',
]);
