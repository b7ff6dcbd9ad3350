import type { Storage } from './storage.js';

/** One quiz answer as the student chose it. */
export interface QuizAnswer {
  questionId: number;
  choice: number;
  correct: boolean;
}

const markDone = 'INSERT OR IGNORE INTO progress (user_id, lesson_id, completed_at) VALUES (?, ?, ?)';
const saveAnswer = `INSERT INTO quiz_answers (user_id, question_id, choice, correct, answered_at) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT(user_id, question_id) DO UPDATE SET choice = excluded.choice, correct = excluded.correct,
  answered_at = excluded.answered_at`;

/**
 * Students' progress writes. Each method resolves only once its rows are committed (group commit through
 * {@link Storage}), so a route that answers after awaiting it never acknowledges a write a crash could lose.
 */
export function createProgress(storage: Storage) {
  return {
    /** Marks a lesson done (idempotent). */
    complete(userId: number, lessonId: number): Promise<void> {
      return storage.write({ sql: markDone, params: [userId, lessonId, Date.now()] });
    },
    /** Saves the answers (the latest choice per question wins) and marks the lesson done. */
    saveQuiz(userId: number, lessonId: number, answers: QuizAnswer[]): Promise<void> {
      const now = Date.now();
      return storage.write(
        ...answers.map((a) => ({ sql: saveAnswer, params: [userId, a.questionId, a.choice, a.correct ? 1 : 0, now] })),
        { sql: markDone, params: [userId, lessonId, now] },
      );
    },
  };
}

/** The progress service returned by {@link createProgress}. */
export type Progress = ReturnType<typeof createProgress>;
