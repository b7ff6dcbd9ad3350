import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort } from '../../../test/support/index.js';
import {
  defaultProfiles,
  type ModelProfile,
  type OllamaSimulator,
  startOllamaSimulator,
} from '../../../test/support/ollama-simulator/index.js';
import { buildApp, type LmsApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDb } from '../src/db.js';
import { parseGrade } from '../src/grading-prompt.js';
import { seededDataDir } from './seeded.js';

const form = { 'content-type': 'application/x-www-form-urlencoded' };
const apps: LmsApp[] = [];
const simulators: OllamaSimulator[] = [];
let dir = '';

beforeAll(async () => {
  dir = await seededDataDir('pilms-lms-grading-');
});

afterAll(async () => {
  for (const lms of apps) await lms.close();
  for (const simulator of simulators) await simulator.close();
});

function start(ollamaHost: string): LmsApp {
  const lms = buildApp(loadConfig({ DATA_DIR: dir, OLLAMA_HOST: ollamaHost }));
  apps.push(lms);
  return lms;
}

async function simulator(port?: number): Promise<OllamaSimulator> {
  const started = await startOllamaSimulator({ timeScale: 1000, ...(port ? { port } : {}) });
  simulators.push(started);
  return started;
}

async function login(lms: LmsApp, email: string, password: string) {
  const reply = await lms.app.inject({
    method: 'POST',
    url: '/login',
    headers: form,
    payload: new URLSearchParams({ email, password }).toString(),
  });
  const cookie = String(reply.headers['set-cookie']).split(';')[0] as string;
  const home = await lms.app.inject({ url: '/', headers: { cookie } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(home.body)?.[1] ?? '';
  return {
    get: (url: string) => lms.app.inject({ url, headers: { cookie } }),
    post: (url: string, fields: Record<string, string>) =>
      lms.app.inject({
        method: 'POST',
        url,
        headers: { ...form, cookie },
        payload: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
      }),
  };
}

/** The simulator grades like a model asked for JSON: an integer score 0-10 and one sentence. */
function expectGrade(
  answer: { status: string; aiScore: number | null; aiFeedback: string } | undefined,
  status?: string,
) {
  if (status) expect(answer?.status).toBe(status);
  expect(Number.isInteger(answer?.aiScore) && (answer?.aiScore ?? -1) >= 0 && (answer?.aiScore ?? 11) <= 10).toBe(true);
  expect(answer?.aiFeedback).toMatch(/^[A-Z][a-z ]+\.$/);
}

// Course 1 (teacher 1) has written questions 1-4 in lessons 3, 8, 13 and 18; course 2 (teacher 2) starts at 5.
function answerOf(lms: LmsApp, email: string, questionId: number) {
  return lms.db
    .prepare(
      `SELECT a.id, a.status, a.ai_score AS aiScore, a.ai_feedback AS aiFeedback, a.error, a.claimed_by AS claimedBy
       FROM text_answers a JOIN users u ON u.id = a.user_id WHERE u.email = ? AND a.question_id = ?`,
    )
    .get(email, questionId) as
    | {
        id: number;
        status: string;
        aiScore: number | null;
        aiFeedback: string;
        error: string;
        claimedBy: string | null;
      }
    | undefined;
}

async function settled(lms: LmsApp, email: string, questionId: number) {
  return vi.waitFor(
    () => {
      const row = answerOf(lms, email, questionId);
      if (row?.status !== 'graded' && row?.status !== 'failed') throw new Error(`still ${row?.status}`);
      return row;
    },
    { timeout: 20_000, interval: 50 },
  );
}

describe('reading the AI grader reply', () => {
  it('takes the first JSON object even inside prose or a code fence, and rounds the score', () => {
    expect(parseGrade('{"score": 7, "feedback": "Good example."}')).toEqual({
      ok: true,
      score: 7,
      feedback: 'Good example.',
    });
    expect(parseGrade('Sure! ```json\n{"feedback": "Name {the} cell.", "score": "6.6/10"}\n```')).toEqual({
      ok: true,
      score: 7,
      feedback: 'Name {the} cell.',
    });
  });

  it('reports a clear reason for replies it cannot use', () => {
    expect(parseGrade('the student learns by asking')).toMatchObject({ ok: false, reason: /no JSON object/ });
    expect(parseGrade('{"score": 12, "feedback": "x"}')).toMatchObject({
      ok: false,
      reason: /12 is not a number from 0 to 10/,
    });
    expect(parseGrade('{"score": 5}')).toMatchObject({ ok: false, reason: /no feedback sentence/ });
    expect(parseGrade('{"feedback": "x"}')).toMatchObject({ ok: false, reason: /score is missing/ });
    expect(parseGrade('{"score": 5, "feedback": "unterminated')).toMatchObject({ ok: false });
  });
});

describe('free-text answers graded by the AI', () => {
  it('stores the answer before acknowledging it, then shows the AI grade from Ollama on the lesson page', async () => {
    const sim = await simulator();
    const lms = start(sim.host);
    const student = await login(lms, 'student1@school.test', 'student-demo');
    expect((await student.get('/lessons/3')).body).toContain('name="t1"');
    const sent = await student.post('/lessons/3/answers', { t1: 'Cells are the units of life, e.g. a neuron.' });
    expect(sent.statusCode).toBe(303);
    expect(answerOf(lms, 'student1@school.test', 1)?.status).toMatch(/pending|graded/);
    const graded = await settled(lms, 'student1@school.test', 1);
    expect(graded).toMatchObject({ status: 'graded', claimedBy: null });
    expectGrade(graded);
    expect((await student.get('/lessons/3')).body).toContain(`AI score ${graded.aiScore}/10: ${graded.aiFeedback}`);
    expect(sim.stats().completed).toBeGreaterThanOrEqual(1);
    const metrics = await lms.app.inject({ url: '/metrics', remoteAddress: '127.0.0.1' });
    expect(metrics.body).toMatch(/^pilms_lms_grading_answers_graded 1$/m);
    expect(metrics.body).toMatch(/^pilms_lms_grading_answers_pending 0$/m);
    await lms.close();
  });

  it('grades through direct Ollama calls with the performance packages switched off', async () => {
    const sim = await simulator();
    const off = buildApp(
      loadConfig({
        DATA_DIR: await seededDataDir('pilms-lms-grading-off-', false),
        OLLAMA_HOST: sim.host,
        PILMS_PERF: 'off',
      }),
    );
    apps.push(off);
    const student = await login(off, 'student1@school.test', 'student-demo');
    expect((await student.post('/lessons/3/answers', { t1: 'Cells are alive.' })).statusCode).toBe(303);
    expectGrade(await settled(off, 'student1@school.test', 1), 'graded');
    await off.close();
  });

  it('keeps an answer pending while Ollama is absent and grades it after Ollama comes back and the app restarts', async () => {
    const port = await freePort();
    const offline = start(`http://127.0.0.1:${port}`);
    const student = await login(offline, 'student2@school.test', 'student-demo');
    expect((await student.post('/lessons/3/answers', { t1: 'Living things are made of cells.' })).statusCode).toBe(303);
    await vi.waitFor(() => expect(answerOf(offline, 'student2@school.test', 1)?.error).toBe('offline'), {
      timeout: 20_000,
      interval: 50,
    });
    expect(answerOf(offline, 'student2@school.test', 1)).toMatchObject({ status: 'pending', claimedBy: null });
    expect((await student.get('/lessons/3')).body).toContain('Waiting for the AI grader (offline).');
    expect((await student.get('/lessons/1')).statusCode).toBe(200);
    await offline.close();

    await simulator(port);
    const restarted = start(`http://127.0.0.1:${port}`);
    expectGrade(await settled(restarted, 'student2@school.test', 1), 'graded');
    await restarted.close();
  });

  it('marks an answer failed with the reason when the model reply is not a usable grade', async () => {
    // A model that stops after 6 tokens: the simulator's JSON reply is cut off mid-object.
    const terse = { ...defaultProfiles['qwen2.5:1.5b'], defaultPredict: 6 } as ModelProfile;
    const sim = await startOllamaSimulator({ timeScale: 1000, profiles: { 'terse:1b': terse } });
    simulators.push(sim);
    const lms = buildApp(loadConfig({ DATA_DIR: dir, OLLAMA_HOST: sim.host, OLLAMA_MODEL: 'terse:1b' }));
    apps.push(lms);
    const student = await login(lms, 'student6@school.test', 'student-demo');
    await student.post('/lessons/13/answers', { t3: 'Energy flows through food chains.' });
    const failed = await settled(lms, 'student6@school.test', 3);
    expect(failed).toMatchObject({ status: 'failed', aiScore: null, claimedBy: null });
    expect(failed.error).toMatch(/^the grader's reply has no JSON object: "\{"score": \d+, "feedback": /);
    expect((await student.get('/lessons/13')).body).toContain(
      'The AI grader could not grade this answer; your teacher will.',
    );
    await lms.close();
  });

  it('grades at start an answer whose grading process was killed', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const db = openDb(dir, true);
    db.prepare(
      `INSERT INTO text_answers (question_id, user_id, answer, status, claimed_by, submitted_at)
       SELECT 2, id, 'An answer the killed worker was grading.', 'pending', ?, 0 FROM users WHERE email = ?`,
    ).run(`${dead}:0000`, 'student3@school.test');
    db.close();
    const sim = await simulator();
    const lms = start(sim.host);
    const graded = await settled(lms, 'student3@school.test', 2);
    expect(graded).toMatchObject({ status: 'graded' });
    expectGrade(graded);
    await lms.close();
  });
});

describe('the teacher grading page', () => {
  let lms: LmsApp;

  beforeAll(async () => {
    lms = start((await simulator()).host);
    const student = await login(lms, 'student4@school.test', 'student-demo');
    await student.post('/lessons/8/answers', { t2: '<script>alert(1)</script> plants need light' });
    await student.post('/lessons/23/answers', { t5: 'An answer in a course of teacher 2.' });
    await settled(lms, 'student4@school.test', 2);
    await settled(lms, 'student4@school.test', 5);
  });

  it("lists the answers of the teacher's own courses with the AI score and feedback, escaped", async () => {
    const teacher1 = await login(lms, 'teacher1@school.test', 'teacher-demo');
    const page = (await teacher1.get('/teacher/grading')).body;
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt; plants need light');
    expect(page).not.toContain('<script>alert(1)');
    const graded = answerOf(lms, 'student4@school.test', 2);
    expect(page).toContain(`${graded?.aiScore}/10: ${graded?.aiFeedback}`);
    expect(page).not.toContain('An answer in a course of teacher 2.');
    const admin = await login(lms, 'admin@school.test', 'admin-demo');
    expect((await admin.get('/teacher/grading')).body).toContain('An answer in a course of teacher 2.');
  });

  it('lets the teacher override the AI score with a comment the student then sees', async () => {
    const teacher1 = await login(lms, 'teacher1@school.test', 'teacher-demo');
    const id = answerOf(lms, 'student4@school.test', 2)?.id as number;
    expect((await teacher1.post(`/teacher/grading/${id}`, { score: '11', comment: 'x' })).statusCode).toBe(400);
    expect(answerOf(lms, 'student4@school.test', 2)?.status).toBe('graded');
    const comment = 'Say why. <script>alert(2)</script>';
    expect((await teacher1.post(`/teacher/grading/${id}`, { score: '6', comment })).statusCode).toBe(303);
    expectGrade(answerOf(lms, 'student4@school.test', 2), 'reviewed');
    const student = await login(lms, 'student4@school.test', 'student-demo');
    const lesson = (await student.get('/lessons/8')).body;
    expect(lesson).toContain("Teacher's score 6/10: Say why. &lt;script&gt;alert(2)&lt;/script&gt;");
    expect(lesson).not.toContain('<script>alert');
    expect(lesson).toMatch(/<textarea name="t2"[^>]* disabled>/);
  });

  it("refuses students, the CSRF-less, and a teacher reviewing another teacher's course", async () => {
    const student = await login(lms, 'student5@school.test', 'student-demo');
    expect((await student.get('/teacher/grading')).statusCode).toBe(403);
    expect((await student.post('/teacher/grading/run', {})).statusCode).toBe(403);
    const own = answerOf(lms, 'student4@school.test', 2)?.id as number;
    expect((await student.post(`/teacher/grading/${own}`, { score: '10' })).statusCode).toBe(403);
    const other = answerOf(lms, 'student4@school.test', 5)?.id as number;
    const teacher1 = await login(lms, 'teacher1@school.test', 'teacher-demo');
    expect((await teacher1.post(`/teacher/grading/${other}`, { score: '0', comment: '' })).statusCode).toBe(404);
    expect((await teacher1.post(`/teacher/grading/${other}`, { _csrf: 'forged', score: '0' })).statusCode).toBe(403);
    expect(answerOf(lms, 'student4@school.test', 5)?.status).toBe('graded');
  });

  it('retries failed answers with "grade all pending"', async () => {
    const id = answerOf(lms, 'student4@school.test', 5)?.id as number;
    lms.db.prepare("UPDATE text_answers SET status = 'failed', error = 'unreadable' WHERE id = ?").run(id);
    const teacher2 = await login(lms, 'teacher2@school.test', 'teacher-demo');
    expect((await teacher2.get('/teacher/grading')).body).toContain('failed: unreadable');
    expect((await teacher2.post('/teacher/grading/run', {})).statusCode).toBe(303);
    expectGrade(await settled(lms, 'student4@school.test', 5), 'graded');
  });
});
