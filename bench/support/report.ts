import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One row of a benchmark table: a contender's measured figures. */
export type ResultRow = Record<string, string | number | boolean | null>;

/** What a benchmark writes to `bench/results/<name>.json`. */
export interface BenchReport {
  name: string;
  date: string;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; platform: string };
  /** Named tables of results (one per scenario). */
  tables: Record<string, ResultRow[]>;
  /** Free-form notes: goals, what was compared, caveats. */
  notes: string[];
}

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

/** Describes the machine a benchmark ran on, for the results file. */
export function machineInfo(): BenchReport['machine'] {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

function formatCell(value: ResultRow[string]): string {
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return value.toLocaleString('en-US');
    return Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3);
  }
  return String(value ?? '');
}

/** Renders rows as an aligned plain-text table. */
export function formatTable(rows: ResultRow[]): string {
  if (rows.length === 0) return '(no rows)';
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cells = rows.map((row) => columns.map((column) => formatCell(row[column] ?? null)));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((line) => line[i]!.length)));
  const line = (values: string[]) => values.map((value, i) => value.padEnd(widths[i]!)).join('  ');
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** Prints every table and writes the report to `bench/results/<name>.json`. */
export function writeReport(name: string, tables: BenchReport['tables'], notes: string[] = []): BenchReport {
  const report: BenchReport = { name, date: new Date().toISOString(), machine: machineInfo(), tables, notes };
  for (const [title, rows] of Object.entries(tables)) console.log(`\n${title}\n${formatTable(rows)}`);
  for (const note of notes) console.log(`note: ${note}`);
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
  return report;
}
