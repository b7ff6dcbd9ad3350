// Simulated classroom on one small board: 45 students chat with a tutor model while a teacher grades 300 answers on a
// second model, against the Ollama simulator (2 slots, 1 loaded model), direct ollama calls vs @pilms/ai-queue.
import { createAiQueue } from '@pilms/ai-queue';
import { Ollama } from 'ollama';
import { startOllamaSimulator } from '../test/support/ollama-simulator/index.js';
import { type Classroom, type Contender, runClassroom, schedule } from './ai-queue/classroom.js';
import { writeReport } from './support/report.js';

const quick = process.env.BENCH_QUICK === '1';
const classroom: Classroom = {
  students: 45,
  gradings: quick ? 60 : 300,
  thinkMs: [20_000, 60_000],
  horizonMs: Number(process.env.BENCH_HORIZON_MS ?? 240_000),
  abandonEvery: 10,
  abandonAfterMs: 3_000,
  timeScale: Number(process.env.BENCH_TIME_SCALE ?? (quick ? 20 : 10)),
  seed: 42,
};
const arrivals = schedule(classroom);

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};
const median = (values: number[]) => quantile(values, 0.5);

const contenders: Contender[] = ['direct ollama (FIFO)', '@pilms/ai-queue'];
const results = new Map<Contender, Awaited<ReturnType<typeof runClassroom>>>();
for (const contender of contenders) results.set(contender, await runClassroom(contender, classroom, arrivals));
const fifo = results.get('direct ollama (FIFO)');
const classroomRows = contenders.map((name) => {
  const r = results.get(name);
  if (!r || !fifo) throw new Error('missing result');
  return {
    contender: name,
    chats: r.chats,
    'ttft p50 s': +(median(r.ttft) / 1000).toFixed(1),
    'ttft p95 s': +(quantile(r.ttft, 0.95) / 1000).toFixed(1),
    'p95 vs FIFO': +(quantile(fifo.ttft, 0.95) / quantile(r.ttft, 0.95)).toFixed(2),
    'grading done s': Math.round(r.gradingDoneMs / 1000),
    'grading vs FIFO': +(r.gradingDoneMs / fifo.gradingDoneMs).toFixed(2),
    'all work done s': Math.round(r.allDoneMs / 1000),
    'model swaps': r.swaps,
    'abandoned chats still served': r.wasted,
  };
});

// Per-request overhead with an idle server: alternate direct and queued calls, compare medians.
const sim = await startOllamaSimulator({ timeScale: 1e6, parallel: 2 });
const client = new Ollama({ host: sim.host });
const queue = createAiQueue({ host: sim.host });
const request = {
  model: 'llama3.2:1b',
  messages: [{ role: 'user' as const, content: 'hi' }],
  options: { num_predict: 1 },
};
const direct: number[] = [];
const queued: number[] = [];
const rounds = quick ? 100 : 400;
for (let i = 0; i < rounds + 20; i++) {
  let t = performance.now();
  await client.chat(request);
  if (i >= 20) direct.push(performance.now() - t);
  t = performance.now();
  await queue.chat(request);
  if (i >= 20) queued.push(performance.now() - t);
}
await sim.close();
const overheadRows = [
  { contender: 'direct ollama', 'median ms': +median(direct).toFixed(3) },
  {
    contender: '@pilms/ai-queue',
    'median ms': +median(queued).toFixed(3),
    'overhead ms': +(median(queued) - median(direct)).toFixed(3),
  },
];

writeReport('ai-queue', { classroom: classroomRows, 'idle per-request overhead': overheadRows }, [
  `Simulated classroom: ${classroom.students} students (think ${classroom.thinkMs.join('-')} ms model time, every ${classroom.abandonEvery}th chat abandoned after ${classroom.abandonAfterMs} ms), ${classroom.gradings} gradings on a second model; simulator 2 slots, 1 loaded model, timeScale ${classroom.timeScale}; times scaled back to model time.`,
  'Goals: interactive p95 TTFT >= 5x better than FIFO, grading completion <= 1.2x FIFO, model swaps >= 5x fewer, 0 abandoned chats served, idle overhead < 1 ms.',
  'The direct baseline does not wire the closed tab to the request (the naive app); ai-queue gets the signal.',
  'ai-queue has no model affinity yet: swaps are not expected to improve.',
  'Machine shared with five other engineers during the run.',
  quick ? 'BENCH_QUICK=1: scaled-down run.' : 'Full run.',
]);
