// A scripted classroom against the reference LMS: 50 students and a teacher for BENCH_DURATION_S
// (default 60 s), once with the performance packages on and once with PILMS_PERF=off, the app pinned
// to one core with taskset as a stand-in for one of the board's slower cores. Each pair runs on two
// storage profiles: this machine's disk, and an SD-card stand-in where every fsync/fdatasync of the
// app also waits BENCH_FSYNC_MS (default 5 ms; lms-load/slow-fsync.c, loaded with LD_PRELOAD).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startOllamaSimulator } from '../test/support/ollama-simulator/index.js';
import { freePort } from '../test/support/ports.js';
import { Recorder, runStudent, runTeacher } from './lms-load/classroom.js';
import { Session } from './lms-load/http-client.js';
import { type ResultRow, writeReport } from './support/report.js';
import { percentile } from './support/stats.js';

const durationSec = Number(process.env.BENCH_DURATION_S ?? (process.env.BENCH_QUICK ? 20 : 60));
// Logins (scrypt), first image encodes and JIT warm-up happen here and are not measured.
const warmupSec = Number(process.env.BENCH_WARMUP_S ?? (process.env.BENCH_QUICK ? 5 : 15));
const students = Number(process.env.BENCH_STUDENTS ?? 50);
const lmsDir = resolve(import.meta.dirname, '..', 'examples', 'lms');
const canPin = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const fsyncDelayMs = Number(process.env.BENCH_FSYNC_MS ?? 5);

/** Builds the fsync-delay shim into a temp dir; undefined (and the SD profile is skipped) without a C compiler. */
function buildSlowFsync(): string | undefined {
  const out = join(mkdtempSync(join(tmpdir(), 'pilms-slow-fsync-')), 'slow-fsync.so');
  const source = resolve(import.meta.dirname, 'lms-load', 'slow-fsync.c');
  const built = spawnSync('cc', ['-shared', '-fPIC', '-O2', '-o', out, source, '-ldl'], { stdio: 'inherit' });
  return built.status === 0 ? out : undefined;
}

/** Where the app's SQLite file lives: this machine's disk, or the same disk with SD-card-like fsyncs. */
interface Storage {
  name: string;
  env: Record<string, string>;
}

async function waitUntilServing(port: number, app: ChildProcess): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (app.exitCode !== null) throw new Error(`the LMS exited with code ${app.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the LMS did not start within 120 s');
}

async function runClassroom(
  perf: boolean,
  ollamaHost: string,
  storage: Storage,
): Promise<{ recorder: Recorder; seconds: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pilms-lms-load-'));
  const port = await freePort();
  const command = canPin ? 'taskset' : process.execPath;
  const args = [...(canPin ? ['-c', '0', process.execPath] : []), '--import', 'tsx', 'src/main.ts'];
  const app = spawn(command, args, {
    cwd: lmsDir,
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dataDir,
      WORKERS: '1',
      PILMS_PERF: perf ? 'on' : 'off',
      OLLAMA_HOST: ollamaHost,
      ...storage.env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitUntilServing(port, app);
    const base = new URL(`http://127.0.0.1:${port}`);
    const started = Date.now() + warmupSec * 1000;
    const recorder = new Recorder(started);
    const deadline = started + durationSec * 1000;
    const users = Array.from({ length: students }, (_, i) => {
      const plan = {
        email: `student${i + 1}@school.test`,
        password: 'student-demo',
        deadline,
        progressEverySec: 15,
        asksTutor: i % 10 === 0,
        thinkMs: [500, 2000] as [number, number],
      };
      // Students arrive over the first 5 s, as a class does after "open the lesson".
      return new Promise((r) => setTimeout(r, Math.random() * 5000)).then(() =>
        runStudent(new Session(base), recorder, plan),
      );
    });
    users.push(
      runTeacher(new Session(base), recorder, {
        email: 'teacher1@school.test',
        password: 'teacher-demo',
        deadline,
        progressEverySec: 0,
        asksTutor: false,
        thinkMs: [0, 0],
      }),
    );
    await Promise.all(users.map((u) => u.catch((error: unknown) => recorder.fail('client', String(error)))));
    return { recorder, seconds: (Date.now() - started) / 1000 };
  } finally {
    app.kill('SIGTERM');
    await new Promise((r) => (app.exitCode !== null ? r(undefined) : app.once('exit', r)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const shim = fsyncDelayMs > 0 ? buildSlowFsync() : undefined;
const storages: Storage[] = [{ name: 'this disk', env: {} }];
if (shim) {
  storages.push({
    name: `SD stand-in (+${fsyncDelayMs} ms per fsync)`,
    env: { LD_PRELOAD: shim, PILMS_FSYNC_DELAY_US: String(Math.round(fsyncDelayMs * 1000)) },
  });
}
const simulator = await startOllamaSimulator({ timeScale: 10 });
type Run = { recorder: Recorder; seconds: number };
const runsByStorage = new Map<string, Record<string, Run>>();
try {
  for (const storage of storages) {
    const runs: Record<string, Run> = {};
    for (const [name, perf] of [
      ['packages on', true],
      ['packages off', false],
    ] as const) {
      console.log(
        `${storage.name}: the classroom with the ${name} for ${durationSec} s (${students} students + 1 teacher)`,
      );
      runs[name] = await runClassroom(perf, simulator.host, storage);
    }
    runsByStorage.set(storage.name, runs);
  }
} finally {
  await simulator.close();
}

const pageKinds = ['home', 'course', 'lesson', 'teacher'];
const pageViews = (run: Run) => pageKinds.flatMap((k) => run.recorder.samples.get(k) ?? []);
const allRequests = (run: Run) => [...run.recorder.samples.values()].flat();
const summary: ResultRow[] = [];
const rows: ResultRow[] = [];
for (const [storage, runs] of runsByStorage) {
  const kinds = [...new Set(Object.values(runs).flatMap((run) => [...run.recorder.samples.keys()]))].sort();
  for (const kind of kinds) {
    for (const [name, run] of Object.entries(runs)) {
      const samples = run.recorder.samples.get(kind) ?? [];
      rows.push({
        storage,
        page: kind,
        contender: name,
        requests: samples.length,
        perSec: samples.length / run.seconds,
        p50ms: percentile(samples, 50),
        p95ms: percentile(samples, 95),
        p99ms: percentile(samples, 99),
        errors: run.recorder.errors.get(kind) ?? 0,
      });
    }
  }
  for (const [name, run] of Object.entries(runs)) {
    summary.push({
      storage,
      contender: name,
      requests: allRequests(run).length,
      perSec: allRequests(run).length / run.seconds,
      pageP50ms: percentile(pageViews(run), 50),
      pageP95ms: percentile(pageViews(run), 95),
      pageP99ms: percentile(pageViews(run), 99),
      allP99ms: percentile(allRequests(run), 99),
      errors: [...run.recorder.errors.values()].reduce((a, b) => a + b, 0),
    });
  }
  const on = runs['packages on']!;
  const off = runs['packages off']!;
  summary.push({
    storage,
    contender: 'ratio off/on',
    pageP50ms: percentile(pageViews(off), 50) / percentile(pageViews(on), 50),
    pageP95ms: percentile(pageViews(off), 95) / percentile(pageViews(on), 95),
    pageP99ms: percentile(pageViews(off), 99) / percentile(pageViews(on), 99),
    allP99ms: percentile(allRequests(off), 99) / percentile(allRequests(on), 99),
  });
}
writeReport('lms-load', { 'Classroom summary': summary, 'Per page type': rows }, [
  `${students} students + 1 teacher for ${durationSec} s per contender after a ${warmupSec} s warm-up (not measured), think time 0.5-2 s, a quiz per lesson, progress every 15 s, a reading-time heartbeat every 30 s; ${Math.ceil(students / 10)} students ask the AI tutor once per lesson (simulator at timeScale 10).`,
  shim
    ? `SD stand-in: every fsync/fdatasync of the app also waits ${fsyncDelayMs} ms (BENCH_FSYNC_MS), as a slow SD card holds the writing thread; this machine's own fsync takes about 0.3 ms.`
    : 'SD stand-in skipped: BENCH_FSYNC_MS=0 or no C compiler.',
  canPin
    ? 'The app was pinned to CPU 0 with taskset; the load generator and the Ollama simulator ran unpinned.'
    : 'taskset unavailable: the app was not pinned.',
  'Goals: page-view p95 >= 5x better with the packages on; p99 < 200 ms; 0 errors.',
  ...[...runsByStorage].flatMap(([storage, runs]) =>
    Object.entries(runs).flatMap(([name, run]) => run.recorder.errorExamples.map((e) => `${storage}, ${name}: ${e}`)),
  ),
]);
