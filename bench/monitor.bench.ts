// Benchmarks @pilms/monitor side by side in one run: the cost of one system collection
// (@pilms/monitor reading /proc and /sys vs systeminformation's equivalent calls), as CPU time per
// collection, % of one core at a 1 Hz scrape and the worst event-loop block while collecting; and
// the cost of recording one request (createRequestTracker vs a raw prom-client Histogram.observe);
// and the pilms-perf gate on bench/monitor/micro.mjs: A/A false-positive rate and smallest regression detected.
// BENCH_QUICK=1 scales everything down for development on a shared machine.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { compareRuns, createRequestTracker, createSystemCollector, runCommand } from '@pilms/monitor';
import { Histogram, Registry } from 'prom-client';
import si from 'systeminformation';
import { type ResultRow, writeReport } from './support/report.js';
import { compareSideBySide } from './support/stats.js';

const quick = process.env.BENCH_QUICK === '1';
const rounds = quick ? 3 : 7;
const collectionsPerRound = quick ? 10 : 30;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const round2 = (n: number) => Math.round(n * 100) / 100;

const pilms = createSystemCollector();
const collectors: Record<string, () => Promise<unknown>> = {
  '@pilms/monitor collect()': () => pilms.collect(),
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

const micro = ['node', 'bench/monitor/micro.mjs'];
const gateRuns = quick ? 3 : 5;
const aaTrials = quick ? 5 : 20;
const withWork = (factor: number) => ['env', `WORK=${Math.round(20_000_000 * factor)}`, ...micro];
let falsePositives = 0;
for (let trial = 0; trial < aaTrials; trial++) {
  const baseline = await runCommand({ command: withWork(1), runs: gateRuns });
  const current = await runCommand({ command: withWork(1), runs: gateRuns });
  if (compareRuns(baseline, current).some((result) => result.regression)) falsePositives++;
}
const gateRows: ResultRow[] = [
  {
    check: `A/A false positives (${aaTrials} trials, ${gateRuns} vs ${gateRuns} runs)`,
    result: `${falsePositives}/${aaTrials}`,
  },
];
const gateBaseline = await runCommand({ command: withWork(1), runs: gateRuns });
for (const factor of [1.05, 1.1, 1.2, 1.5, 2]) {
  const current = await runCommand({ command: withWork(factor), runs: gateRuns });
  const loop = compareRuns(gateBaseline, current).find((result) => result.metric === 'loopMs');
  gateRows.push({
    check: `loopMs slowed x${factor} (threshold 5 %)`,
    result: `${loop?.regression ? 'detected' : 'not detected'}, change ${round2(loop?.changePercent ?? 0)} %`,
  });
}

const tables = {
  'system collection (median of rounds)': collection,
  'recording one request': observeRows,
  'pilms-perf gate on bench/monitor/micro.mjs': gateRows,
};
writeReport('monitor', tables, [
  `${rounds} alternating rounds of ${collectionsPerRound} collections each; medians.${quick ? ' BENCH_QUICK=1 (scaled down).' : ''}`,
  'Measured on the shared 2-core development machine with other engineers running tests; absolute numbers are noisy, ratios are the point.',
  'CPU time is this process only: systeminformation also spawns helper processes whose CPU is not counted, so its real cost is higher.',
  'Gate verdicts use the default 5 % threshold and the 95 % bootstrap CI of the median change; wallMs includes Node start-up.',
]);
