// The CI perf gate: runs bench/perf-gate's benchmark set with pilms-perf and compares it with the committed
// baseline (bench/results/perf-baseline.json, several runs merged). Prints a Markdown table; exits 1 only
// on a significant regression, 2 on a failing benchmark or missing baseline.
//   node --import tsx bench/perf-gate/check.ts [--mode instructions|wall] [--runs N] [--record]
// Default mode: instructions when valgrind is installed (stable on a shared runner), else wall time.
// --record runs the set and stores the samples of that mode as the new baseline (commit it).
// --slowdown 1.1 makes every measured loop do 10 % more work: the gate must then fail (a self-check).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleSuite, modes, repo, suiteCommand, valgrindAvailable } from './suite-command.js';

const { values } = parseArgs({
  options: {
    mode: { type: 'string' },
    runs: { type: 'string' },
    record: { type: 'boolean', default: false },
    slowdown: { type: 'string', default: '1' },
  },
});
const mode = values.mode ?? (valgrindAvailable() ? 'instructions' : 'wall');
if (mode !== 'instructions' && mode !== 'wall') {
  console.error(`Unknown --mode ${mode}; use instructions or wall`);
  process.exit(2);
}
const settings = modes[mode];
const baselinePath = join(repo, 'bench/results/perf-baseline.json');
const cli = ['--import', 'tsx', join(repo, 'packages/monitor/src/cli.ts')];
const perf = (args: string[]) =>
  spawnSync(process.execPath, [...cli, ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });

const file = await bundleSuite();
const out = join(mkdtempSync(join(tmpdir(), 'pilms-perf-gate-')), 'current.json');
const runs = values.runs ?? String(values.record ? settings.baselineRuns : settings.runs);
const runArgs = ['run', '--out', out, '--runs', runs, '--concurrency', String(settings.concurrency)];
if (mode === 'instructions') runArgs.push('--instructions');
const started = performance.now();
const run = perf([...runArgs, '--', ...suiteCommand(file, mode, Number(values.slowdown))]);
if (run.status !== 0) process.exit(2);
const seconds = ((performance.now() - started) / 1000).toFixed(1);

const current = JSON.parse(readFileSync(out, 'utf8'));
if (values.record) {
  const previous = existsSync(baselinePath) ? JSON.parse(readFileSync(baselinePath, 'utf8')) : { metrics: {} };
  const metrics = { ...previous.metrics };
  for (const metric of settings.metrics) metrics[metric] = current.metrics[metric];
  const baseline = { version: 2, node: process.version, metrics };
  writeFileSync(baselinePath, `${JSON.stringify(baseline, null, 2)}\n`);
  console.log(`Recorded ${runs} ${mode} runs in ${seconds} s into ${baselinePath}`);
  process.exit(0);
}
if (!existsSync(baselinePath)) {
  console.error(`No baseline at ${baselinePath}: run with --record on the base commit and commit it`);
  process.exit(2);
}
const baseline = JSON.parse(readFileSync(baselinePath, 'utf8'));
if (baseline.node !== process.version) {
  console.warn(`Baseline recorded with Node ${baseline.node}, running ${process.version}: numbers may shift`);
}
const only = settings.metrics.flatMap((metric) => ['--only', metric]);
const compare = perf([
  'compare',
  '--baseline',
  baselinePath,
  '--current',
  out,
  '--threshold',
  String(settings.threshold),
  ...only,
]);
process.stdout.write(compare.stdout);
console.log(`\n${mode} mode, ${runs} runs in ${seconds} s.`);
process.exit(compare.status ?? 2);
