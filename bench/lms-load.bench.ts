// A scripted classroom against the reference LMS: 50 students and a teacher for BENCH_DURATION_S
// (default 60 s), once with the performance packages on and once with PILMS_PERF=off, the app pinned
// to one core with taskset as a stand-in for one of the board's slower cores.
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
const students = Number(process.env.BENCH_STUDENTS ?? 50);
const lmsDir = resolve(import.meta.dirname, '..', 'examples', 'lms');
const canPin = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

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

async function runClassroom(perf: boolean, ollamaHost: string): Promise<{ recorder: Recorder; seconds: number }> {
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
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitUntilServing(port, app);
    const base = new URL(`http://127.0.0.1:${port}`);
    const recorder = new Recorder();
    const started = Date.now();
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

const simulator = await startOllamaSimulator({ timeScale: 10 });
const runs: Record<string, { recorder: Recorder; seconds: number }> = {};
try {
  for (const [name, perf] of [
    ['packages on', true],
    ['packages off', false],
  ] as const) {
    console.log(`running the classroom with the ${name} for ${durationSec} s (${students} students + 1 teacher)`);
    runs[name] = await runClassroom(perf, simulator.host);
  }
} finally {
  await simulator.close();
}

const kinds = [...new Set(Object.values(runs).flatMap((run) => [...run.recorder.samples.keys()]))].sort();
const rows: ResultRow[] = [];
for (const kind of kinds) {
  for (const [name, run] of Object.entries(runs)) {
    const samples = run.recorder.samples.get(kind) ?? [];
    rows.push({
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
const on = runs['packages on']!;
const off = runs['packages off']!;
const pageViews = (run: typeof on) =>
  ['home', 'course', 'lesson', 'teacher'].flatMap((k) => run.recorder.samples.get(k) ?? []);
const allRequests = (run: typeof on) => [...run.recorder.samples.values()].flat();
const summary: ResultRow[] = Object.entries(runs).map(([name, run]) => ({
  contender: name,
  requests: allRequests(run).length,
  perSec: allRequests(run).length / run.seconds,
  pageP95ms: percentile(pageViews(run), 95),
  pageP99ms: percentile(pageViews(run), 99),
  allP99ms: percentile(allRequests(run), 99),
  errors: [...run.recorder.errors.values()].reduce((a, b) => a + b, 0),
}));
summary.push({
  contender: 'ratio off/on',
  pageP95ms: percentile(pageViews(off), 95) / percentile(pageViews(on), 95),
  pageP99ms: percentile(pageViews(off), 99) / percentile(pageViews(on), 99),
});
writeReport('lms-load', { 'Classroom summary': summary, 'Per page type': rows }, [
  `${students} students + 1 teacher for ${durationSec} s per contender, think time 0.5-2 s, progress every 15 s; ${Math.ceil(students / 10)} students ask the AI tutor once per lesson (simulator at timeScale 10).`,
  canPin
    ? 'The app was pinned to CPU 0 with taskset; the load generator and the Ollama simulator ran unpinned.'
    : 'taskset unavailable: the app was not pinned.',
  'Goals: page-view p95 >= 5x better with the packages on; p99 < 200 ms; 0 errors.',
  ...Object.entries(runs).flatMap(([name, run]) => run.recorder.errorExamples.map((e) => `${name} error: ${e}`)),
]);
