// Figures of the CI perf gate (bench/perf-gate) on this machine: A/A false positives and the smallest
// injected slowdown it catches, in both modes, with the gate's own settings.
import { compareRuns, type RunFile, runCommand } from '@pilms/monitor';
import { type GateMode, modes, suiteCommand } from '../perf-gate/suite-command.js';
import type { ResultRow } from '../support/report.js';

const round1 = (n: number) => Math.round(n * 10) / 10;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;

/**
 * The pool reordered by i -> (i * stride + offset) mod n with an odd stride coprime to n (n a power of two):
 * a different, reproducible split for every trial without a random generator.
 */
function reordered<T>(items: T[], trial: number): T[] {
  const n = items.length;
  const stride = 2 * (trial % (n / 2)) + 1;
  return items.map((_, i) => items[(i * stride + trial) % n] as T);
}

/** Splits a run file into one file per run, to draw baselines from a pool. */
function perRun(file: RunFile): RunFile[] {
  const count = Math.max(...Object.values(file.metrics).map((samples) => samples.length));
  return Array.from({ length: count }, (_, i) => ({
    version: 2,
    metrics: Object.fromEntries(Object.entries(file.metrics).map(([name, samples]) => [name, [samples[i] ?? 0]])),
  }));
}

function merge(runs: RunFile[]): RunFile {
  const metrics: Record<string, number[]> = {};
  for (const run of runs) {
    for (const [name, samples] of Object.entries(run.metrics)) metrics[name] = [...(metrics[name] ?? []), ...samples];
  }
  return { version: 2, metrics };
}

/** The gate's verdict for one mode: which gated metrics regressed and by how much. */
function verdict(mode: GateMode, baseline: RunFile, current: RunFile) {
  const settings = modes[mode];
  const results = compareRuns(baseline, current, { thresholdPercent: settings.threshold }).filter((result) =>
    settings.metrics.includes(result.metric),
  );
  return { regression: results.some((result) => result.regression), results };
}

interface Tally {
  detected: number;
  changes: Record<string, number[]>;
}

function tally(tallies: Map<number, Tally>, factor: number, outcome: ReturnType<typeof verdict>): void {
  const entry = tallies.get(factor) ?? { detected: 0, changes: {} };
  tallies.set(factor, entry);
  if (outcome.regression) entry.detected++;
  for (const result of outcome.results) {
    entry.changes[result.metric] = [...(entry.changes[result.metric] ?? []), result.changePercent];
  }
}

function detectionRows(mode: GateMode, tallies: Map<number, Tally>, trials: number): ResultRow[] {
  return [...tallies].map(([factor, entry]) => ({
    mode,
    check: `slowdown x${factor} injected (threshold ${modes[mode].threshold} %)`,
    result: `detected ${entry.detected}/${trials}`,
    'median change of gated metrics %': Object.entries(entry.changes)
      .map(([metric, changes]) => `${metric} ${round1(median(changes))}`)
      .join(', '),
  }));
}

/** Wall mode: fresh baseline and candidate runs per trial, as CI would see them one after the other. */
async function wallFigures(file: string, quick: boolean): Promise<ResultRow[]> {
  const runs = quick ? 3 : modes.wall.runs;
  const trials = quick ? 2 : 20;
  const detectionTrials = quick ? 1 : 3;
  const factors = [1.05, 1.1, 1.2, 1.5];
  const run = (factor: number) => runCommand({ command: suiteCommand(file, 'wall', factor), runs });
  const baselines: RunFile[] = [];
  let falsePositives = 0;
  const aa = new Map<number, Tally>();
  for (let trial = 0; trial < trials; trial++) {
    const baseline = await run(1);
    baselines.push(baseline);
    const outcome = verdict('wall', baseline, await run(1));
    if (outcome.regression) falsePositives++;
    tally(aa, 1, outcome);
  }
  const detected = new Map<number, Tally>();
  for (let trial = 0; trial < detectionTrials; trial++) {
    for (const factor of factors)
      tally(detected, factor, verdict('wall', baselines[trial] as RunFile, await run(factor)));
  }
  return [
    {
      mode: 'wall',
      check: `A/A false positives (${trials} trials, ${runs} vs ${runs} runs)`,
      result: `${falsePositives}/${trials}`,
      'median change of gated metrics %':
        detectionRows('wall', aa, trials)[0]?.['median change of gated metrics %'] ?? '',
    },
    ...detectionRows('wall', detected, detectionTrials),
  ];
}

/**
 * Instruction mode: counts do not depend on load, so trials draw disjoint baseline and candidate sets
 * from one pool of runs (a valgrind run costs ~15 s; 20 fresh pairs would take half an hour).
 */
async function instructionFigures(file: string, quick: boolean): Promise<ResultRow[]> {
  const { runs, baselineRuns, concurrency } = modes.instructions;
  const trials = quick ? 2 : 20;
  const factors = quick ? [1.1] : [1.02, 1.05, 1.1];
  const run = (factor: number, count: number) =>
    runCommand({ command: suiteCommand(file, 'instructions', factor), runs: count, instructions: true, concurrency });
  const pool = perRun(await run(1, quick ? 8 : 16));
  let falsePositives = 0;
  const aa = new Map<number, Tally>();
  for (let trial = 0; trial < trials; trial++) {
    const split = reordered(pool, trial);
    const outcome = verdict(
      'instructions',
      merge(split.slice(0, baselineRuns)),
      merge(split.slice(baselineRuns, baselineRuns + runs)),
    );
    if (outcome.regression) falsePositives++;
    tally(aa, 1, outcome);
  }
  const detected = new Map<number, Tally>();
  const detectionTrials = 3;
  for (const factor of factors) {
    const current = await run(factor, runs);
    for (let trial = 0; trial < detectionTrials; trial++) {
      tally(
        detected,
        factor,
        verdict('instructions', merge(reordered(pool, 7 + trial).slice(0, baselineRuns)), current),
      );
    }
  }
  const spread = (() => {
    const counts = pool.map((entry) => entry.metrics.instructions?.[0] ?? 0);
    return round1((100 * (Math.max(...counts) - Math.min(...counts))) / median(counts));
  })();
  return [
    {
      mode: 'instructions',
      check: `A/A false positives (${trials} disjoint ${baselineRuns} vs ${runs} splits of ${pool.length} runs)`,
      result: `${falsePositives}/${trials}`,
      'median change of gated metrics %': `instructions range over the pool ${spread} % of the median`,
    },
    ...detectionRows('instructions', detected, detectionTrials),
  ];
}

/** Gate figures of both modes (instructions only when valgrind is installed). */
export async function gateFigures(file: string, quick: boolean, withValgrind: boolean): Promise<ResultRow[]> {
  const wall = await wallFigures(file, quick);
  return withValgrind ? [...wall, ...(await instructionFigures(file, quick))] : wall;
}
