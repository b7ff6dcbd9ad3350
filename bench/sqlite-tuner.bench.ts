// Benchmarks @pilms/sqlite-tuner side by side in one run: group commit against one transaction per
// write (default and hand-tuned pragmas), 4 processes sharing one file (tuned vs the seed's
// busy_timeout=30000), and a report query on the reader pool vs the main thread (event-loop delay).
// BENCH_QUICK=1 scales everything down for development on a shared machine.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createWriteBatcher, openDatabase } from '@pilms/sqlite-tuner';
import { createReaderPool } from '@pilms/sqlite-tuner/reader-pool';
import Database from 'better-sqlite3';
import { startStallMeter } from './sqlite-tuner/stall-meter.js';
import { type ResultRow, writeReport } from './support/report.js';

const quick = process.env.BENCH_QUICK === '1';
const rounds = 3;
const windowMs = quick ? 600 : 2000;
const processSeconds = quick ? 8 : 20;
const concurrentCallers = 64;
const dir = mkdtempSync(join(tmpdir(), 'pilms-bench-sqlite-'));
const run = promisify(execFile);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const round1 = (n: number) => Math.round(n * 10) / 10;
let fileCounter = 0;
const freshPath = () => join(dir, `db-${fileCounter++}.db`);
const schema = 'CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, pid INTEGER, body TEXT)';

type Writer = { write(body: string): Promise<unknown> | unknown; close(): Promise<void> };

const contenders: Record<string, () => Writer> = {
  'default pragmas, autocommit per write': () => {
    const raw = new Database(freshPath());
    raw.exec(schema);
    const insert = raw.prepare('INSERT INTO events (pid, body) VALUES (1, ?)');
    return {
      write: (body) => insert.run(body),
      close: async () => {
        raw.close();
      },
    };
  },
  'hand-tuned WAL+NORMAL, transaction per write': () => {
    const raw = new Database(freshPath());
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.exec(schema);
    const insert = raw.prepare('INSERT INTO events (pid, body) VALUES (1, ?)');
    const once = raw.transaction((body: string) => insert.run(body));
    return {
      write: (body) => once.immediate(body),
      close: async () => {
        raw.close();
      },
    };
  },
  '@pilms/sqlite-tuner WriteBatcher': () => {
    const db = openDatabase(freshPath());
    db.raw.exec(schema);
    const batcher = createWriteBatcher(db);
    return {
      write: (body) => batcher.run('INSERT INTO events (pid, body) VALUES (1, ?)', [body]),
      close: () => db.close(),
    };
  },
};

async function writesPerSecond(make: () => Writer): Promise<number> {
  const writer = make();
  let done = 0;
  const end = performance.now() + windowMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrentCallers }, async () => {
      while (performance.now() < end) {
        await writer.write('x'.repeat(100));
        done++;
      }
    }),
  );
  const rate = done / ((performance.now() - started) / 1000);
  await writer.close();
  return rate;
}

async function groupCommit(): Promise<ResultRow[]> {
  const rates: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
  for (const name of Object.keys(contenders)) await writesPerSecond(contenders[name] as () => Writer); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const [name, make] of Object.entries(contenders)) rates[name]?.push(await writesPerSecond(make));
  }
  const medians = Object.fromEntries(Object.entries(rates).map(([name, list]) => [name, median(list)]));
  const base = medians['default pragmas, autocommit per write'] as number;
  const tuned = medians['hand-tuned WAL+NORMAL, transaction per write'] as number;
  return Object.entries(medians).map(([contender, rate]) => ({
    contender,
    'writes/s (median)': Math.round(rate),
    'x default': round1(rate / base),
    'x hand-tuned': round1(rate / tuned),
  }));
}

const labels = {
  control: 'control: same loop, no SQLite (machine noise)',
  seed: 'seed: busy_timeout=30000, autocommit per write',
  tuned: '@pilms/sqlite-tuner (batcher + async busy)',
};

async function processes(mode: 'tuned' | 'seed' | 'control'): Promise<ResultRow> {
  const path = freshPath();
  const setup = new Database(path);
  setup.pragma('journal_mode = WAL');
  setup.exec(schema);
  setup.close();
  const worker = fileURLToPath(new URL('./sqlite-tuner/mixed-worker.ts', import.meta.url));
  const outputs = await Promise.all(
    Array.from({ length: 4 }, () =>
      run(process.execPath, ['--import', 'tsx', worker, path, mode, String(processSeconds * 1000)]),
    ),
  );
  const figures = outputs.map(
    ({ stdout }) =>
      JSON.parse(stdout.trim().split('\n').at(-1) as string) as {
        writes: number;
        reads: number;
        errors: number;
        p99Ms: number;
        maxLoopDelayMs: number;
      },
  );
  const sum = (key: 'writes' | 'reads' | 'errors') => figures.reduce((total, f) => total + f[key], 0);
  return {
    contender: labels[mode],
    'writes/s (offered 4,000)': Math.round(sum('writes') / processSeconds),
    'reads/s': Math.round(sum('reads') / processSeconds),
    'write p99 ms (worst process)': round1(Math.max(...figures.map((f) => f.p99Ms))),
    'SQLITE_BUSY errors surfaced': sum('errors'),
    'max event-loop stall ms (worst process)': round1(Math.max(...figures.map((f) => f.maxLoopDelayMs))),
    'max event-loop stall ms (median process)': round1(median(figures.map((f) => f.maxLoopDelayMs))),
  };
}

async function readerPool(): Promise<ResultRow[]> {
  const path = freshPath();
  const db = openDatabase(path);
  db.raw.exec('CREATE TABLE grades (student INTEGER, course INTEGER, score INTEGER)');
  await db.transaction(() => {
    for (let i = 0; i < (quick ? 150_000 : 400_000); i++)
      db.runSync('INSERT INTO grades VALUES (?, ?, ?)', [i % 5000, i % 97, i % 100]);
  });
  const report =
    'SELECT a.course, count(*) AS n, avg(a.score) AS mean FROM grades a JOIN grades b ON a.student = b.student AND b.course = 1 GROUP BY a.course ORDER BY mean DESC';
  const pool = createReaderPool(path, { size: 1 });
  const contendersRows: Record<string, () => Promise<unknown>> = {
    'main thread (db.all)': async () => db.all(report),
    'reader pool (pool.all)': () => pool.all(report),
  };
  const delays: Record<string, { loop: number[]; query: number[] }> = Object.fromEntries(
    Object.keys(contendersRows).map((name) => [name, { loop: [], query: [] }]),
  );
  for (let r = 0; r <= rounds; r++) {
    for (const [name, query] of Object.entries(contendersRows)) {
      const stalls = startStallMeter();
      const started = performance.now();
      await query();
      const took = performance.now() - started;
      const stall = stalls.stop();
      if (r === 0) continue; // warm-up
      delays[name]?.loop.push(stall);
      delays[name]?.query.push(took);
    }
  }
  await pool.close();
  await db.close();
  return Object.entries(delays).map(([contender, { loop, query }]) => ({
    contender,
    'query ms (median)': round1(median(query)),
    'max event-loop delay ms (median)': round1(median(loop)),
  }));
}

const tables = {
  'single-row writes, 64 concurrent async callers': await groupCommit(),
  [`4 processes writing and reading one file for ${processSeconds} s`]: [
    await processes('control'),
    await processes('seed'),
    await processes('tuned'),
  ],
  'reporting query: reader pool vs main thread': await readerPool(),
};
writeReport('sqlite-tuner', tables, [
  `better-sqlite3 12, ${quick ? 'BENCH_QUICK (scaled down)' : 'full run'}: ${rounds} alternating rounds of ${windowMs} ms per write contender after a warm-up, medians reported.`,
  '4 processes: each offers 1,000 write+read requests/s on a 10 ms timer (not a CPU-bound spin), so event-loop stalls show lock waits, not the shared cores being oversubscribed; the control row is the same loop without SQLite.',
  'Goals: WriteBatcher >= 10x the hand-tuned per-write rate and >= 200x the default; 4 processes with zero SQLITE_BUSY surfaced and no event-loop stall over 50 ms; the reader pool keeps the main loop free during a report query.',
  'The machine was shared with five other engineers building and testing at the same time (2 cores): absolute figures are noisy, ratios are the point.',
]);
