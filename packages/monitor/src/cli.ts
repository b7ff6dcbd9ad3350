#!/usr/bin/env node
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { PilmsMonitorError } from './errors.js';
import { compareRuns, markdownTable, mergeRuns, parseRunFile } from './gate.js';
import { runCommand } from './perf-runner.js';

const usage = `pilms-perf run --out <file.json> [--runs 5] [--timeout 120000] [--instructions] [--concurrency 1] -- <command...>
pilms-perf compare --baseline <a.json> [--baseline <b.json>...] --current <file.json> [--threshold 5] [--metric name=10...] [--only name...]
Exit codes: 0 no significant regression, 1 significant regression, 2 usage error or failed command.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      runs: { type: 'string', default: '5' },
      timeout: { type: 'string', default: '120000' },
      instructions: { type: 'boolean', default: false },
      concurrency: { type: 'string', default: '1' },
      baseline: { type: 'string', multiple: true },
      current: { type: 'string' },
      threshold: { type: 'string', default: '5' },
      metric: { type: 'string', multiple: true },
      only: { type: 'string', multiple: true },
    },
  });
  const [mode, ...command] = positionals;
  if (mode === 'run' && values.out) {
    const run = await runCommand({
      command,
      runs: Number(values.runs),
      timeoutMs: Number(values.timeout),
      instructions: values.instructions,
      concurrency: Number(values.concurrency),
    });
    await writeFile(values.out, `${JSON.stringify(run, null, 2)}\n`);
    return 0;
  }
  if (mode === 'compare' && values.baseline && values.current) {
    const read = async (path: string) => parseRunFile(JSON.parse(await readFile(path, 'utf8')));
    const baseline = mergeRuns(await Promise.all(values.baseline.map(read)));
    const thresholds = Object.fromEntries(
      (values.metric ?? []).map((pair) => pair.split('=')).map(([k, v]) => [k, Number(v)]),
    );
    const only = values.only;
    const results = compareRuns(baseline, await read(values.current), {
      thresholdPercent: Number(values.threshold),
      thresholds,
    }).filter((result) => !only || only.includes(result.metric));
    process.stdout.write(`${markdownTable(results)}\n`);
    return results.some((r) => r.regression) ? 1 : 0;
  }
  process.stderr.write(`${usage}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`pilms-perf: ${PilmsMonitorError.isInstance(error) ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
