import { createSharedCache } from './cache.js';
import type { Db } from './db.js';

/** A course with its modules and lesson titles, as the course page shows it. */
export interface CourseOutline {
  id: number;
  title: string;
  summary: string;
  teacherId: number;
  modules: { id: number; title: string; lessons: { id: number; title: string }[] }[];
}

/** A lesson with its quiz questions. */
export interface Lesson {
  id: number;
  title: string;
  body: string;
  courseId: number;
  questions: { id: number; prompt: string; choices: string[]; answer: number }[];
}

/**
 * Read-side of courses and lessons. With `cached` the outlines and lessons go through
 * `@pilms/cache-layers` (cache-aside over the shared tier of `cache.ts`, invalidated by tag on edit in every
 * worker); `PILMS_PERF=off` reads SQLite every time.
 */
export function createContent(db: Db, options: { cached: boolean; dataDir: string; redisUrl: string | undefined }) {
  const courseRow = db.prepare('SELECT id, title, summary, teacher_id AS teacherId FROM courses WHERE id = ?');
  const moduleRows = db.prepare('SELECT id, title FROM modules WHERE course_id = ? ORDER BY position');
  const lessonRows = db.prepare('SELECT id, title FROM lessons WHERE module_id = ? ORDER BY position');
  const lessonRow = db.prepare(
    'SELECT l.id, l.title, l.body, m.course_id AS courseId FROM lessons l JOIN modules m ON m.id = l.module_id WHERE l.id = ?',
  );
  const questionRows = db.prepare('SELECT id, prompt, choices, answer FROM quiz_questions WHERE lesson_id = ?');

  function loadCourse(id: number): CourseOutline | null {
    const course = courseRow.get(id) as Omit<CourseOutline, 'modules'> | undefined;
    if (course === undefined) return null;
    const modules = (moduleRows.all(id) as { id: number; title: string }[]).map((module) => ({
      ...module,
      lessons: lessonRows.all(module.id) as { id: number; title: string }[],
    }));
    return { ...course, modules };
  }

  function loadLesson(id: number): Lesson | null {
    const lesson = lessonRow.get(id) as Omit<Lesson, 'questions'> | undefined;
    if (lesson === undefined) return null;
    const questions = (questionRows.all(id) as { id: number; prompt: string; choices: string; answer: number }[]).map(
      (q) => ({ ...q, choices: JSON.parse(q.choices) as string[] }),
    );
    return { ...lesson, questions };
  }

  const shared = options.cached ? createSharedCache(options) : undefined;
  const cache = shared?.cache;
  const courses = cache?.namespace<CourseOutline | null>('course');
  const lessons = cache?.namespace<Lesson | null>('lesson');

  return {
    async course(id: number): Promise<CourseOutline | null> {
      return courses ? courses.getOrSet(String(id), () => loadCourse(id), { tags: [`course:${id}`] }) : loadCourse(id);
    },
    async lesson(id: number): Promise<Lesson | null> {
      if (!lessons) return loadLesson(id);
      return lessons.getOrSet(String(id), () => loadLesson(id), { tags: [`lesson:${id}`] });
    },
    /** Drops cached copies after an edit. */
    async invalidate(tag: string): Promise<void> {
      await cache?.deleteByTag(tag);
    },
    stats(): object {
      return cache ? cache.stats() : { cache: 'off' };
    },
    async close(): Promise<void> {
      await shared?.close();
    },
  };
}

/** The content service returned by {@link createContent}. */
export type Content = ReturnType<typeof createContent>;
