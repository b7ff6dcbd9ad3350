import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tune } from '@pilms/sqlite-tuner';
import Database from 'better-sqlite3';

/** The app's SQLite handle. */
export type Db = Database.Database;

// Each entry runs once, in order; `user_version` records how many have run.
const migrations = [
  `CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
     role TEXT NOT NULL CHECK (role IN ('admin','teacher','student')), password_hash TEXT NOT NULL);
   CREATE TABLE sessions (id TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
     csrf TEXT NOT NULL, expires_at INTEGER NOT NULL);
   CREATE TABLE courses (id INTEGER PRIMARY KEY, title TEXT NOT NULL, summary TEXT NOT NULL,
     teacher_id INTEGER NOT NULL REFERENCES users(id));
   CREATE TABLE modules (id INTEGER PRIMARY KEY, course_id INTEGER NOT NULL REFERENCES courses(id),
     title TEXT NOT NULL, position INTEGER NOT NULL);
   CREATE TABLE lessons (id INTEGER PRIMARY KEY, module_id INTEGER NOT NULL REFERENCES modules(id),
     title TEXT NOT NULL, body TEXT NOT NULL, position INTEGER NOT NULL);
   CREATE TABLE enrolments (user_id INTEGER NOT NULL REFERENCES users(id),
     course_id INTEGER NOT NULL REFERENCES courses(id), PRIMARY KEY (user_id, course_id));
   CREATE TABLE progress (user_id INTEGER NOT NULL, lesson_id INTEGER NOT NULL, completed_at INTEGER NOT NULL,
     PRIMARY KEY (user_id, lesson_id));
   CREATE TABLE quiz_questions (id INTEGER PRIMARY KEY, lesson_id INTEGER NOT NULL REFERENCES lessons(id),
     prompt TEXT NOT NULL, choices TEXT NOT NULL, answer INTEGER NOT NULL);
   CREATE TABLE quiz_answers (user_id INTEGER NOT NULL, question_id INTEGER NOT NULL, choice INTEGER NOT NULL,
     correct INTEGER NOT NULL, answered_at INTEGER NOT NULL, PRIMARY KEY (user_id, question_id));
   CREATE TABLE login_attempts (key TEXT PRIMARY KEY, failures INTEGER NOT NULL, window_start INTEGER NOT NULL);
   CREATE INDEX modules_course ON modules(course_id, position);
   CREATE INDEX lessons_module ON lessons(module_id, position);
   CREATE INDEX progress_lesson ON progress(lesson_id);`,
  // Responsive `<picture>` markup per original image, made by @pilms/media-optimizer.
  'CREATE TABLE images (name TEXT PRIMARY KEY, picture TEXT NOT NULL);',
  `CREATE TABLE media_jobs (id TEXT PRIMARY KEY, status TEXT NOT NULL CHECK (status IN ('processing','done','failed')),
     name TEXT NOT NULL, error TEXT)`,
  `CREATE TABLE reading_time (user_id INTEGER NOT NULL, lesson_id INTEGER NOT NULL, seconds INTEGER NOT NULL,
     PRIMARY KEY (user_id, lesson_id))`,
  // Free-text questions graded by the AI in the background; `claimed_by` is `<pid>:<grader>` while one grades it.
  `CREATE TABLE text_questions (id INTEGER PRIMARY KEY, lesson_id INTEGER NOT NULL REFERENCES lessons(id),
     prompt TEXT NOT NULL, rubric TEXT NOT NULL);
   CREATE TABLE text_answers (id INTEGER PRIMARY KEY, question_id INTEGER NOT NULL REFERENCES text_questions(id),
     user_id INTEGER NOT NULL REFERENCES users(id), answer TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('pending','graded','failed','reviewed')),
     ai_score INTEGER, ai_feedback TEXT, error TEXT, teacher_score INTEGER, teacher_comment TEXT,
     claimed_by TEXT, submitted_at INTEGER NOT NULL, UNIQUE (user_id, question_id));
   CREATE INDEX text_questions_lesson ON text_questions(lesson_id);
   CREATE INDEX text_answers_status ON text_answers(status);`,
  // Video/audio jobs report whole-percent progress and, once done, the Markdown that embeds the result.
  `ALTER TABLE media_jobs ADD COLUMN progress INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE media_jobs ADD COLUMN markdown TEXT;`,
  // Video/audio jobs keep their original (`source`) and the process running them (`owner`, see claims.ts).
  `ALTER TABLE media_jobs ADD COLUMN owner TEXT;
   ALTER TABLE media_jobs ADD COLUMN source TEXT;`,
];

/** Opens (creating if needed) `<dataDir>/lms.sqlite` and applies pending migrations. */
export function openDb(dataDir: string, tuned: boolean): Db {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'lms.sqlite'));
  // PILMS_PERF=off keeps SQLite defaults so the load comparison has a real baseline.
  // The app's writes are single short synchronous statements from a few workers, so a native busy wait of up
  // to 1 s (rather than the package's 5 ms + async retry, which needs its async API) never stalls for long.
  if (tuned) tune(db, { profile: 'pi5', nativeBusyTimeoutMs: 1000 });
  else db.pragma('foreign_keys = ON');
  const applied = db.pragma('user_version', { simple: true }) as number;
  for (let i = applied; i < migrations.length; i++) {
    db.transaction(() => {
      db.exec(migrations[i] as string);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
  return db;
}
