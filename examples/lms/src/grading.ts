import { abandoned, newClaim } from './claims.js';
import type { Db } from './db.js';
import { gradingPrompt, parseGrade } from './grading-prompt.js';
import type { Storage } from './storage.js';

/** Where a free-text answer is: waiting for the AI, graded by it, unreadable to it, or reviewed by the teacher. */
export type AnswerStatus = 'pending' | 'graded' | 'failed' | 'reviewed';

/** A free-text question of a lesson. */
export interface TextQuestion {
  id: number;
  prompt: string;
}

/** A student's free-text answer with its grades. */
export interface TextAnswer {
  id: number;
  questionId: number;
  answer: string;
  status: AnswerStatus;
  aiScore: number | null;
  aiFeedback: string | null;
  /** Why the AI has not graded it (`offline`, ...) while pending, or why it failed. */
  error: string | null;
  teacherScore: number | null;
  teacherComment: string | null;
}

/** An answer as the teacher's grading page lists it. */
export interface ReviewRow extends TextAnswer {
  student: string;
  prompt: string;
  lesson: string;
  course: string;
}

/** The model call grading needs: the tutor's `complete`, through the same AI queue at background priority. */
export interface GradingAi {
  complete(input: { system: string; prompt: string; user: string; signal: AbortSignal }): Promise<string>;
}

/** Defaults of {@link createGrading}. */
export const gradingDefaults = {
  /** Period of the sweep that retries pending answers (after Ollama comes back). */
  retryMs: 60_000,
  /** Answers claimed per sweep; the AI queue holds the rest back anyway. */
  batch: 100,
  /** Longest answer accepted, in characters. */
  maxAnswerChars: 2000,
} as const;

/** The reason stored on a pending answer while Ollama cannot be reached. */
export const offlineReason = 'offline';

const answerColumns = `a.id, a.question_id AS questionId, a.answer, a.status, a.ai_score AS aiScore,
  a.ai_feedback AS aiFeedback, a.error, a.teacher_score AS teacherScore, a.teacher_comment AS teacherComment`;
// Admins see every course; a teacher only the courses they teach.
const scoped = `JOIN lessons l ON l.id = q.lesson_id JOIN modules m ON m.id = l.module_id JOIN courses c ON c.id = m.course_id
  WHERE (? = 'admin' OR c.teacher_id = ?)`;

/** Settles with `promise`, or rejects as soon as `signal` fires (a direct Ollama call cannot be aborted alone). */
function untilStopped<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    promise.then(resolve, reject);
  });
}

/** The short reason shown on a pending answer while the AI cannot grade it. */
function deferredReason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  // ai-queue's OllamaUnavailableError, or the ollama client's fetch failure with PILMS_PERF=off.
  if (code === 'OLLAMA_UNAVAILABLE' || error instanceof TypeError) return offlineReason;
  if (code === 'QUEUE_FULL') return 'busy';
  return error instanceof Error ? error.message : String(error);
}

/**
 * Free-text answers graded by the AI in the background. A submission is committed before it is acknowledged;
 * grading claims answers in SQLite (so several workers never grade one answer twice), runs through the AI queue
 * at `background` priority, and a sweep at start and every `retryMs` re-enqueues pending answers, so answers
 * of a killed process or submitted while Ollama was absent are graded later.
 */
export function createGrading(options: { db: Db; storage: Storage; ai: GradingAi; retryMs?: number }) {
  const { db, storage, ai } = options;
  const me = newClaim();
  const questionsOf = db.prepare('SELECT id, prompt FROM text_questions WHERE lesson_id = ? ORDER BY id');
  const answersOf = db.prepare(
    `SELECT ${answerColumns} FROM text_answers a JOIN text_questions q ON q.id = a.question_id
     WHERE a.user_id = ? AND q.lesson_id = ?`,
  );
  const candidates = db.prepare(
    "SELECT id, claimed_by AS claimedBy FROM text_answers WHERE status = 'pending' ORDER BY id LIMIT ?",
  );
  const claim = db.prepare(
    "UPDATE text_answers SET claimed_by = ? WHERE id = ? AND status = 'pending' AND claimed_by IS ?",
  );
  const work = db.prepare(
    `SELECT a.answer, q.prompt, q.rubric, c.teacher_id AS teacherId FROM text_answers a
     JOIN text_questions q ON q.id = a.question_id JOIN lessons l ON l.id = q.lesson_id
     JOIN modules m ON m.id = l.module_id JOIN courses c ON c.id = m.course_id WHERE a.id = ?`,
  );
  // Every outcome is written only while this grader still holds the claim: a resubmission in the meantime wins.
  const mine = "WHERE id = ? AND claimed_by = ? AND status = 'pending'";
  const setGraded = db.prepare(
    `UPDATE text_answers SET status = 'graded', ai_score = ?, ai_feedback = ?, error = NULL, claimed_by = NULL ${mine}`,
  );
  const setFailed = db.prepare(`UPDATE text_answers SET status = 'failed', error = ?, claimed_by = NULL ${mine}`);
  const release = db.prepare(`UPDATE text_answers SET error = ?, claimed_by = NULL ${mine}`);
  const releaseAll = db.prepare(
    "UPDATE text_answers SET claimed_by = NULL WHERE claimed_by = ? AND status = 'pending'",
  );
  const list = db.prepare(
    `SELECT ${answerColumns}, u.name AS student, q.prompt, l.title AS lesson, c.title AS course
     FROM text_answers a JOIN users u ON u.id = a.user_id JOIN text_questions q ON q.id = a.question_id ${scoped}
     ORDER BY a.status = 'reviewed', a.submitted_at DESC, a.id DESC LIMIT 200`,
  );
  const inScope = db.prepare(
    `SELECT a.id FROM text_answers a JOIN text_questions q ON q.id = a.question_id ${scoped} AND a.id = ?`,
  );
  const review = db.prepare(
    "UPDATE text_answers SET status = 'reviewed', teacher_score = ?, teacher_comment = ?, claimed_by = NULL WHERE id = ?",
  );
  const retryFailed = db.prepare(
    `UPDATE text_answers SET status = 'pending', error = NULL, claimed_by = NULL WHERE status = 'failed' AND id IN
     (SELECT a.id FROM text_answers a JOIN text_questions q ON q.id = a.question_id ${scoped})`,
  );
  const counts = db.prepare('SELECT status, count(*) AS n FROM text_answers GROUP BY status');

  const stop = new AbortController();
  const running = new Set<Promise<void>>();
  const counters = { graded: 0, failed: 0, deferred: 0 };

  async function grade(id: number): Promise<void> {
    const row = work.get(id) as { answer: string; prompt: string; rubric: string; teacherId: number } | undefined;
    if (!row) return;
    try {
      const prompt = gradingPrompt(row, row.answer);
      const asked = ai.complete({ ...prompt, user: `teacher:${row.teacherId}`, signal: stop.signal });
      const reply = await untilStopped(asked, stop.signal);
      const result = parseGrade(reply);
      if (result.ok) setGraded.run(result.score, result.feedback, id, me);
      else setFailed.run(result.reason, id, me);
      counters[result.ok ? 'graded' : 'failed']++;
    } catch (error) {
      if (stop.signal.aborted) return;
      counters.deferred++;
      release.run(deferredReason(error), id, me);
    }
  }

  /** Claims the answers nobody is grading and grades them in the background. */
  function sweep(): void {
    if (stop.signal.aborted) return;
    const rows = candidates.all(gradingDefaults.batch) as { id: number; claimedBy: string | null }[];
    for (const { id, claimedBy } of rows) {
      if (!abandoned(claimedBy) || claim.run(me, id, claimedBy).changes === 0) continue;
      const job = grade(id).finally(() => running.delete(job));
      running.add(job);
    }
  }

  const timer = setInterval(sweep, options.retryMs ?? gradingDefaults.retryMs);
  timer.unref();
  setImmediate(sweep);

  return {
    questionsOf: (lessonId: number) => questionsOf.all(lessonId) as TextQuestion[],
    answersOf: (userId: number, lessonId: number) => answersOf.all(userId, lessonId) as TextAnswer[],

    /** Stores (or replaces, until reviewed) the answer durably, then starts grading it; resolves once committed. */
    async submit(userId: number, questionId: number, answer: string): Promise<void> {
      await storage.write({
        sql: `INSERT INTO text_answers (question_id, user_id, answer, status, submitted_at) VALUES (?, ?, ?, 'pending', ?)
              ON CONFLICT (user_id, question_id) DO UPDATE SET answer = excluded.answer, status = 'pending',
                ai_score = NULL, ai_feedback = NULL, error = NULL, claimed_by = NULL, submitted_at = excluded.submitted_at
              WHERE text_answers.status <> 'reviewed'`,
        params: [questionId, userId, answer.slice(0, gradingDefaults.maxAnswerChars), Date.now()],
      });
      sweep();
    },

    /** Answers of the courses `user` may grade, unreviewed first. */
    list: (user: { id: number; role: string }) => list.all(user.role, user.id) as ReviewRow[],

    /** Records the teacher's score and comment; false when the answer is not in their courses. */
    review(user: { id: number; role: string }, id: number, score: number, comment: string): boolean {
      if (!inScope.get(user.role, user.id, id)) return false;
      review.run(score, comment, id);
      return true;
    },

    /** "Grade all pending": failed answers of the user's courses are retried, and pending ones enqueued now. */
    gradeAll(user: { id: number; role: string }): void {
      retryFailed.run(user.role, user.id);
      sweep();
    },

    /**
     * For `@pilms/monitor`: answers per status (all workers, from SQLite), and this process's outcomes
     * (`graded`, `failed`, `deferred` = offline or busy, retried later) and answers being graded now.
     */
    stats() {
      const answers = { pending: 0, graded: 0, failed: 0, reviewed: 0 };
      for (const row of counts.all() as { status: AnswerStatus; n: number }[]) answers[row.status] = row.n;
      return { answers, ...counters, inFlight: running.size };
    },

    /** Stops grading and hands this process's claims back, so another worker or the next start grades them. */
    async close(): Promise<void> {
      if (stop.signal.aborted) return;
      clearInterval(timer);
      stop.abort();
      await Promise.all(running);
      releaseAll.run(me);
    },
  };
}

/** The grading service returned by {@link createGrading}. */
export type Grading = ReturnType<typeof createGrading>;
