import Database from 'better-sqlite3';
import { dbPath } from '../src/storage.js';
import { type Client, signIn } from './processes.js';

/** A few simulated students completing lessons in a loop; only 303 answers count as acknowledged. */
export interface ClassroomLoad {
  /** `user:lesson` of every acknowledged completion. */
  acknowledged: Set<string>;
  /** Requests that failed (reset connections, 5xx) while something was broken. */
  failures: number;
  /** Completions acknowledged so far, repeats included. */
  count(): number;
  stop(): Promise<void>;
}

/** Lessons each student may open (their enrolments), read from the seeded file. */
export function lessonsOf(dataDir: string, email: string): { userId: number; lessons: number[] } {
  const db = new Database(dbPath(dataDir), { readonly: true });
  try {
    const userId = db.prepare('SELECT id FROM users WHERE email = ?').pluck().get(email) as number;
    const lessons = db
      .prepare(
        `SELECT l.id FROM lessons l JOIN modules m ON m.id = l.module_id JOIN enrolments e ON e.course_id = m.course_id
         WHERE e.user_id = ? ORDER BY l.id`,
      )
      .pluck()
      .all(userId) as number[];
    return { userId, lessons };
  } finally {
    db.close();
  }
}

/** Starts `students` concurrent students (student1..N) reading and completing lessons until `stop()`. */
export async function startClassroom(base: string, dataDir: string, students = 4): Promise<ClassroomLoad> {
  const acknowledged = new Set<string>();
  let failures = 0;
  let acks = 0;
  let running = true;
  const clients: { client: Client; userId: number; lessons: number[] }[] = [];
  for (let i = 1; i <= students; i++) {
    const email = `student${i}@school.test`;
    clients.push({ client: await signIn(base, email, 'student-demo'), ...lessonsOf(dataDir, email) });
  }
  const loops = clients.map(async ({ client, userId, lessons }) => {
    for (let n = 0; running; n++) {
      const lesson = lessons[n % lessons.length] as number;
      try {
        const page = await client.get(`/lessons/${lesson}`);
        await page.arrayBuffer();
        if (!page.ok) failures++;
        const done = await client.post(`/lessons/${lesson}/complete`);
        // A 303 to the lesson is the acknowledgement; a 303 elsewhere (the login page) is not.
        if (done.status === 303 && done.headers.get('location') === `/lessons/${lesson}`) {
          acknowledged.add(`${userId}:${lesson}`);
          acks++;
        } else failures++;
      } catch {
        failures++;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });
  return {
    acknowledged,
    get failures() {
      return failures;
    },
    count: () => acks,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** `user:lesson` of every completion stored in the data dir's SQLite file. */
export function storedCompletions(dataDir: string): Set<string> {
  const db = new Database(dbPath(dataDir), { readonly: true });
  try {
    const rows = db.prepare('SELECT user_id, lesson_id FROM progress').all() as {
      user_id: number;
      lesson_id: number;
    }[];
    return new Set(rows.map((r) => `${r.user_id}:${r.lesson_id}`));
  } finally {
    db.close();
  }
}
